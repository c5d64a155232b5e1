namespace ScriptExec.Store.Tests;

/// <summary>The reserve file: really allocated, given back on release, allocated again on request.</summary>
public sealed class StorageReserveTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDir() => _dir = Directory.CreateTempSubdirectory("scriptexec-reserve-").FullName;

    [TearDown]
    public void DeleteDir() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void The_store_holds_its_reserve_from_the_start_and_a_release_deletes_it()
    {
        var path = Path.Combine(_dir, "reserve");
        using (var db = new SqliteDatabase(new StoreOptions { DatabasePath = Path.Combine(_dir, "scriptexec.db"), ReservePath = path }))
        {
            Assert.That(db.ReserveHeld, Is.True);
            Assert.That(new FileInfo(path).Length, Is.EqualTo(StoreOptions.DefaultReserveBytes));
        }

        var reserve = new StorageReserve(path, StoreOptions.DefaultReserveBytes);
        var heldAgain = reserve.TryAllocate();
        var released = reserve.Release();

        Assert.Multiple(() =>
        {
            Assert.That(heldAgain, Is.True, "an existing reserve of the right size is taken over");
            Assert.That(released, Is.True);
            Assert.That(File.Exists(path), Is.False);
            Assert.That(reserve.Release(), Is.False, "nothing left to give");
            Assert.That(reserve.TryAllocate(), Is.True);
            Assert.That(new FileInfo(path).Length, Is.EqualTo(StoreOptions.DefaultReserveBytes));
        });
    }

    [Test]
    public void Without_a_path_there_is_no_reserve()
    {
        var reserve = new StorageReserve(null, StoreOptions.DefaultReserveBytes);

        Assert.Multiple(() =>
        {
            Assert.That(reserve.IsEnabled, Is.False);
            Assert.That(reserve.TryAllocate(), Is.False);
            Assert.That(reserve.Release(), Is.False);
        });
    }
}
