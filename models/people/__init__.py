"""People: users and roles, sign-in and its throttle, passwords, API tokens and the calendar address."""
