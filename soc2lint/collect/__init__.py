"""Evidence collectors: `soc2lint collect github OWNER/REPO` exports API payloads, unchanged.

`http` is a small standard-library REST client (auth headers, retries, rate limits, pages);
`github` knows which endpoints to read and where each payload goes under the evidence directory.
Nothing here is imported until the `collect` command runs.
"""
