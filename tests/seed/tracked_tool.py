def tracked_tool(client, session_id):
    """Decorator to track tool calls."""
    def decorator(func):
        def wrapper(*args, **kwargs):
            tool_input = {"args": args, "kwargs": kwargs}
            try:
                result = func(*args, **kwargs)
                client.track_tool_call(
                    session_id=session_id,
                    tool_name=func.__name__,
                    tool_input=tool_input,
                    tool_output={"result": result}
                )
                return result
            except Exception as e:
                client.track_tool_call(
                    session_id=session_id,
                    tool_name=func.__name__,
                    tool_input=tool_input,
                    tool_output={"error": str(e)}
                )
                raise
        return wrapper
    return decorator
# Usage
@tracked_tool(client, session_id)
def search_database(query: str):
    return database.search(query)
@tracked_tool(client, session_id)
def send_email(to: str, subject: str, body: str):
    return email_service.send(to, subject, body)
