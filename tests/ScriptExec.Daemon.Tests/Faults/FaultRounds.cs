namespace ScriptExec.Daemon.Tests.Faults;

/// <summary>How many rounds a fault test runs: small by default for CI, scaled up through an environment variable.</summary>
internal static class FaultRounds
{
    public static int FromEnvironment(string variable, int defaultRounds) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var rounds) && rounds > 0 ? rounds : defaultRounds;
}
