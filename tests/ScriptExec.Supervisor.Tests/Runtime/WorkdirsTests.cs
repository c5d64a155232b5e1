using Microsoft.Extensions.Time.Testing;
using ScriptExec.Supervisor.Runtime;

namespace ScriptExec.Supervisor.Tests.Runtime;

public class WorkdirsTests
{
    private string _root = null!;
    private FakeTimeProvider _time = null!;
    private Workdirs _workdirs = null!;

    [SetUp]
    public void SetUp()
    {
        _root = Directory.CreateTempSubdirectory("workdirs-").FullName;
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        _workdirs = new Workdirs(_root, _time);
        _workdirs.Ensure("s", "i", user: null);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    [Test]
    public void An_idle_size_is_walked_once_and_again_after_a_run_ends()
    {
        Write("a", 3);
        Assert.That(_workdirs.SizeBytes("s", "i", running: false), Is.EqualTo(3));

        Write("b", 4);
        Assert.That(_workdirs.SizeBytes("s", "i", running: false), Is.EqualTo(3), "idle: nothing but a run changes it, so not walked again");

        _workdirs.Forget("s", "i");
        Assert.That(_workdirs.SizeBytes("s", "i", running: false), Is.EqualTo(7));
    }

    [Test]
    public void A_run_starts_with_its_idle_size_and_is_walked_again_once_that_is_a_second_old()
    {
        Write("a", 3);
        Assert.That(_workdirs.SizeBytes("s", "i", running: false), Is.EqualTo(3));
        _workdirs.Started("s", "i");

        Write("b", 4);
        Assert.That(_workdirs.SizeBytes("s", "i", running: true), Is.EqualTo(3), "the size at the start, not walked at the start");

        _time.Advance(Workdirs.RunningSizeMaxAge - TimeSpan.FromMilliseconds(1));
        Assert.That(_workdirs.SizeBytes("s", "i", running: true), Is.EqualTo(3), "younger than the maximum age");

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(_workdirs.SizeBytes("s", "i", running: true), Is.EqualTo(7), "as old as the maximum age: walked again");

        Write("c", 5);
        _workdirs.Forget("s", "i");
        Assert.That(_workdirs.SizeBytes("s", "i", running: false), Is.EqualTo(12), "the end walks it again");
    }

    [Test]
    public void A_run_with_no_idle_size_known_is_walked_when_first_asked()
    {
        Write("a", 3);
        _workdirs.Started("s", "i");

        Assert.That(_workdirs.SizeBytes("s", "i", running: true), Is.EqualTo(3));
    }

    [Test]
    public void A_deleted_instance_forgets_both_sizes()
    {
        Write("a", 3);
        Assert.That(_workdirs.SizeBytes("s", "i", running: false), Is.EqualTo(3));
        _workdirs.Started("s", "i");

        _workdirs.Delete("s", "i");
        Assert.Multiple(() =>
        {
            Assert.That(_workdirs.SizeBytes("s", "i", running: true), Is.Zero);
            Assert.That(_workdirs.SizeBytes("s", "i", running: false), Is.Zero);
        });
    }

    private void Write(string name, int bytes) => File.WriteAllBytes(Path.Combine(_workdirs.PathOf("s", "i"), name), new byte[bytes]);
}
