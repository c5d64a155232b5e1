namespace ScriptExec.Testing;

/// <summary>A fresh data directory for each test, removed after it: for tests that stop and restart daemons on it.</summary>
public abstract class TempDataDirFixture
{
    private readonly string _prefix;

    protected TempDataDirFixture(string prefix)
    {
        _prefix = prefix;
    }

    protected string DataDir { get; private set; } = "";

    [SetUp]
    public void CreateDataDir() => DataDir = Directory.CreateTempSubdirectory(_prefix).FullName;

    [TearDown]
    public void DeleteDataDir()
    {
        // The daemon under test removes its data dir when disposed; a test that only stopped (or killed) it leaves it here.
        CgroupLeftovers.RemoveFor(DataDir);
        if (Directory.Exists(DataDir))
        {
            Directory.Delete(DataDir, recursive: true);
        }
    }
}
