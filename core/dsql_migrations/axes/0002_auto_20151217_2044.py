from core.dsql_migrations import state_only

Migration = state_only("axes", "0002_auto_20151217_2044")
