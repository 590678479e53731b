"""A local stand-in for Amazon Bedrock Runtime that speaks its real wire protocol with synthetic answers.

boto3 talks to it through `endpoint_url` (or `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`), so the gateway's real
serializer, parser and error paths run in development, tests and benchmarks without AWS. Start it with
`python -m bedrock_emulator`; it imports nothing of the gateway and not Django, and it is left out
of the Lambda package and the container image.

Model routes: POST /model/{modelId}/converse | converse-stream | invoke (Titan v1/v2, Cohere v3 embeddings;
Claude's native Messages body) | invoke-with-response-stream (Claude) | count-tokens (Claude).

Directives, written anywhere in the last user message's text (for invoke: in inputText/texts; Claude's
native body reads them like Converse):
  [[sbc:error=ThrottlingException]]   HTTP error before any answer (any name in errors.ERRORS, or `context`)
  [[sbc:stream-error=throttlingException]]  messageStart + two deltas, then that exception frame
  [[sbc:hang=5000]]                   wait this many ms before answering
  [[sbc:pace=20x50]]                  stream 20 text deltas, 50 ms apart
  [[sbc:gate=KEY]]                    stream: hold after the first delta until the gate is released
                                      (converse: hold before answering)
  [[sbc:long=300]]                    answer with 300 words
  [[sbc:thinking]]                    reasoningContent block first (also additionalModelRequestFields.thinking)
  [[sbc:in-turn]]                     the tools the task names are called one per turn, in order, each turn
                                      after the results of the one before (a multi-round tool loop)
  [[sbc:in-turn=2,1]]                 as many per turn as listed: a parallel pair, then one alone (then one
                                      per turn for any left)

Besides the conversation rules, Converse requests meet Claude's thinking rules (thinking.py: budget,
temperature, forced tool choice, signed reasoning replayed before the last tool calls) and structured
output's (structured.py: `outputConfig.textFormat` only on models with native support, a closed schema);
a request with a textFormat is answered with JSON that fits its schema, and a forced tool's arguments
are built from its schema the same way.

Control API (see control.py): GET /_emulator/health; GET|DELETE /_emulator/log; GET|POST|DELETE
/_emulator/faults; GET /_emulator/gates/{key}; POST /_emulator/gates/{key}/release; DELETE /_emulator/gates;
DELETE /_emulator/cache; POST /_emulator/reset.
"""
