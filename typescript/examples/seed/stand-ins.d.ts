// The one name the documentation's example leaves to its reader (the tests
// provide it on globalThis before running the example).
declare function searchDatabase(query: string): Promise<string[]>;
