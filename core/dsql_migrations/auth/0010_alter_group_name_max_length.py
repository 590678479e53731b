from core.dsql_migrations import state_only

Migration = state_only("auth", "0010_alter_group_name_max_length")
