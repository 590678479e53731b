from core.dsql_migrations import state_only

Migration = state_only("axes", "0009_add_session_hash")
