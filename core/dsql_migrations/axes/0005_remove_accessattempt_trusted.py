from core.dsql_migrations import state_only

Migration = state_only("axes", "0005_remove_accessattempt_trusted")
