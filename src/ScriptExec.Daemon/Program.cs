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

await app.RunAsync();
return 0;
