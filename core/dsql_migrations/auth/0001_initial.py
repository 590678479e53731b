from core.dsql_migrations import at_final_sizes

Migration = at_final_sizes("auth", "0001_initial", "django.contrib.auth.models")
