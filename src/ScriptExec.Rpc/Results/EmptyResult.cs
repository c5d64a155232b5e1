
namespace ScriptExec.Rpc.Results;

public sealed record EmptyResult;
