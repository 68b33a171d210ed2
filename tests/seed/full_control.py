from sentrial import SentrialClient
import openai
client = SentrialClient(api_key="sentrial_live_xxx")
def handle_request(user_input: str, user_id: str):
    # Create session
    session_id = client.create_session(
        name=f"Request: {user_input[:40]}...",
        agent_name="my-custom-agent",
        user_id=user_id,
        metadata={"source": "api"}
    )
    try:
        # Track decision
        client.track_decision(
            session_id=session_id,
            reasoning="User asked a question, will search then respond",
            alternatives=["direct_response", "clarify_question"]
        )
        # Track tool call
        search_results = search_database(user_input)
        client.track_tool_call(
            session_id=session_id,
            tool_name="search_database",
            tool_input={"query": user_input},
            tool_output={"results": search_results},
            reasoning="Searching for relevant information"
        )
        # Make LLM call
        completion = openai.chat.completions.create(
            model="gpt-4o",
            messages=[
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": user_input}
            ]
        )
        response = completion.choices[0].message.content
        usage = completion.usage
        # Complete session
        client.complete_session(
            session_id=session_id,
            success=True,
            estimated_cost=calculate_cost(usage),
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens
        )
        return response
    except Exception as e:
        client.complete_session(
            session_id=session_id,
            success=False,
            failure_reason=str(e)
        )
        raise
