from core.dsql_migrations import state_only

Migration = state_only("axes", "0007_alter_accessattempt_unique_together")
