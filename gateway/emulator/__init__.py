"""A local stand-in for Amazon Bedrock Runtime that speaks its real wire protocol with synthetic answers.

boto3 talks to it through `endpoint_url` (or `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`), so the gateway's real
serializer, parser and error paths run in development, tests and benchmarks without AWS. Start it with
`python manage.py bedrock_emulator`; the modules here do not import Django.
"""
