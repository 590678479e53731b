from core.dsql_migrations import state_only

Migration = state_only("auth", "0012_alter_user_first_name_max_length")
