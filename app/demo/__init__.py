"""Demo data for development, seeded by `flask demo seed` and `flask demo documents` (`make run` runs both).

accounts: the demo accounts and their first applications; applications: an application in every state of the
review; documents: decided applications with their signed assessments. Everything goes through the features'
services where one exists, and every seed is idempotent.
"""
