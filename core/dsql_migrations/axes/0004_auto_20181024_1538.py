from core.dsql_migrations import state_only

Migration = state_only("axes", "0004_auto_20181024_1538")
