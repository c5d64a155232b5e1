// Every Dapper call in this assembly is compiled at build time (interceptors) instead of mapped with ref-emit at
// run time: NativeAOT cannot emit code, and the generated mappers start faster under the JIT too.
[module: Dapper.DapperAot]
