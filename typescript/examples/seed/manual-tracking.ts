import { SentrialClient } from '@sentrial/sdk';
import OpenAI from 'openai';
const sentrial = new SentrialClient({
  apiKey: process.env.SENTRIAL_API_KEY!
});
const openai = new OpenAI();
async function handleRequest(userInput: string, userId: string) {
  const sessionId = await sentrial.createSession({
    name: `Request: ${userInput.slice(0, 40)}...`,
    agentName: "my-custom-agent",
    userId
  });
  try {
    // Track tool call
    const searchResults = await searchDatabase(userInput);
    await sentrial.trackToolCall({
      sessionId,
      toolName: "search_database",
      toolInput: { query: userInput },
      toolOutput: { results: searchResults },
    });
    // Make LLM call
    const completion = await openai.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: userInput }]
    });
    const response = completion.choices[0].message.content;
    await sentrial.completeSession({
      sessionId,
      success: true,
      promptTokens: completion.usage?.prompt_tokens,
      completionTokens: completion.usage?.completion_tokens,
    });
    return response;
  } catch (error) {
    await sentrial.completeSession({
      sessionId,
      success: false,
      failureReason: error.message,
    });
    throw error;
  }
}
