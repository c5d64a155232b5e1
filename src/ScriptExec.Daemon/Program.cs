using ScriptExec.Daemon;

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
