// Two turns with the Vercel AI SDK's default OpenAI provider (Responses API, store on): a tool round trip, then a
// second turn carrying the first as the SDK sends it (earlier output as item_reference). Prints JSON results.
import { pathToFileURL } from "node:url";

const load = (name) => import(pathToFileURL(`${process.env.AI_SDK_MODULES}/${name}/dist/index.js`).href);
const { generateText, tool, jsonSchema, stepCountIs } = await load(process.env.AI_PACKAGE);
const { createOpenAI } = await load(process.env.AI_OPENAI_PACKAGE);

const openai = createOpenAI({ baseURL: process.env.SBC_BASE_URL, apiKey: process.env.SBC_API_KEY });
const tools = {
  get_weather: tool({
    description: "Current weather for a city",
    inputSchema: jsonSchema({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }),
    execute: async ({ city }) => `18C and sunny in ${city}`,
  }),
};
const model = openai(process.env.SBC_MODEL);
const messages = [{ role: "user", content: "What is the weather? Use get_weather city=Paris" }];
const first = await generateText({ model, messages, tools, stopWhen: stepCountIs(3) });
messages.push(...first.response.messages, { role: "user", content: "And tomorrow?" });
const second = await generateText({ model, messages, tools, stopWhen: stepCountIs(3) });
console.log(JSON.stringify({ first: first.text, second: second.text, steps: first.steps.length }));
