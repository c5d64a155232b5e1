using ScriptExec.Daemon;

// First, before the runtime loads the host's assemblies: with too few descriptors they fail to load, and all the
// operator would see is a FileNotFoundException.
if (DescriptorBudget.CheckFloor(DescriptorBudget.RaiseSoftLimit()) is { } tooLow)
{
    await Console.Error.WriteLineAsync("scriptexecd: " + tooLow);
    return 2;
}

WorkerReserve.Make();

WebApplication app;
try
{
    app = DaemonHost.Build(args);
}
catch (OptionsException e)
{
    await Console.Error.WriteLineAsync("scriptexecd: " + e.Message);
    return 2;
}

try
{
    await app.RunAsync();
}
catch (IOException e)
{
    // Typically the WebSocket port is taken; say so plainly rather than with a stack trace.
    await Console.Error.WriteLineAsync("scriptexecd: cannot start: " + e.Message);
    return 1;
}

return 0;
