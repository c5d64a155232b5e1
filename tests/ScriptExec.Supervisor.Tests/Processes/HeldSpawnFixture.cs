using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

/// <summary>A script directory with spawn gates in it, per test; ignored where the kernel cannot hold a child.</summary>
public abstract class HeldSpawnFixture
{
    private protected ScriptDirectory Scripts { get; private set; } = null!;

    private protected SpawnGates Gates { get; private set; } = null!;

    [SetUp]
    public void CreateGates()
    {
        Scripts = new ScriptDirectory();
        var gates = SpawnGates.Create(Path.Combine(Scripts.FullPath, "gates"), out var reason);
        if (gates is null)
        {
            Assert.Ignore($"this kernel cannot hold a child: {reason}");
        }

        Gates = gates;
    }

    [TearDown]
    public void DeleteScripts() => Scripts.Dispose();
}
