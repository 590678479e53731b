// A tool loop and a second turn with the Vercel AI SDK, as its documentation writes them: generateText with
// a tool and stopWhen, then generateText again with the first turn's messages. Prints one JSON line per turn.
import { generateText, jsonSchema, stepCountIs, tool } from "ai";

const lookup = tool({
  description: "Look a word up in the project's notes.",
  inputSchema: jsonSchema({ type: "object", properties: { word: { type: "string" } }, required: ["word"] }),
  execute: async ({ word }) => `sbc-vercel-ok:${word}`,
});

export async function conversation(openai, model) {
  const tools = { lookup };
  const first = [{ role: "user", content: "Use lookup word=bedrock" }];
  const one = await generateText({ model: openai(model), tools, stopWhen: stepCountIs(3), messages: first });
  console.log(JSON.stringify({ turn: 1, text: one.text, steps: one.steps.length }));
  const second = [...first, ...one.response.messages, { role: "user", content: "And now?" }];
  const two = await generateText({ model: openai(model), tools, stopWhen: stepCountIs(3), messages: second });
  console.log(JSON.stringify({ turn: 2, text: two.text, steps: two.steps.length }));
}
