from core.dsql_migrations import original

Migration = original("auth", "0005_alter_user_last_login_null")
