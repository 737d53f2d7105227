"""agents: AI phone agents for businesses: businesses (tenants) with members in roles, agent
definitions with their knowledge base, the inbound receptionist on live calls, and the calls'
records (transcripts, summaries, recordings), each business's data its own."""
