-- Each service owns its database; nothing reads another service's tables.
CREATE DATABASE duban_tasks;
CREATE DATABASE duban_reporting;
CREATE DATABASE duban_notify;
