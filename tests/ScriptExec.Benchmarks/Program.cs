using ScriptExec.Benchmarks;

// scriptexecd benchmarks: the JSON report goes to stdout (and --out FILE), progress to stderr.
// Exit 0 when every section ran (speed is reported, not asserted, unless --fail-on-miss); 1 when a section
// failed; 2 for a usage error.
if (args is [StackFloorServer.Flag, var floorDirectory])
{
    // The child the short-script section starts as its stack floor baseline (StackFloor).
    return await StackFloorServer.RunAsync(floorDirectory);
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync("ScriptExec.Benchmarks: " + e.Message + "\n" + BenchOptions.Usage);
    return 2;
}

if (options.ShowHelp)
{
    await Console.Out.WriteLineAsync(BenchOptions.Usage);
    return 0;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

return await BenchmarkRunner.RunAsync(options, cancel.Token);
