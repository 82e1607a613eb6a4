# The console's signed-in clients (an agent, a supervisor) for the console cases of the security suite.
from tests.console.conftest import agent, agent_client, supervisor, supervisor_client  # noqa: F401
