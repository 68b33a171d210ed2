import sentrial
sentrial.configure(api_key="sentrial_live_xxx")
def handle_request(user_input: str, user_id: str):
    # Begin tracking
    interaction = sentrial.begin(
        user_id=user_id,
        event="chat_request",
        input=user_input
    )
    try:
        # Your agent logic
        response = your_agent.run(user_input)
        # Finish with success
        interaction.finish(
            output=response,
            success=True,
            estimated_cost=0.023
        )
        return response
    except Exception as e:
        # Finish with failure
        interaction.finish(
            success=False,
            failure_reason=str(e)
        )
        raise
