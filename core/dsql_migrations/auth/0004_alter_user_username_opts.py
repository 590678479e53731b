from core.dsql_migrations import original

Migration = original("auth", "0004_alter_user_username_opts")
