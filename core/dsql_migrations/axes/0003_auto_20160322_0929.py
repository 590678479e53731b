from core.dsql_migrations import state_only

Migration = state_only("axes", "0003_auto_20160322_0929")
