export {};
//# sourceMappingURL=installed.test.d.ts.map