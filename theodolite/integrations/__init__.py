"""Provider wrappers: `observe_openai(client)`, `observe_anthropic(client)`, and a LangChain
callback handler. They wrap one client instance (no global monkey-patching) and record each call
as a generation: model, parameters, messages, usage (cache and reasoning tokens), time to first
token for streams, errors. Import the one you use: each imports only its own provider's package."""
