using System.Text;
using ScriptExec.Supervisor.Processes;

namespace ScriptExec.Supervisor.Tests.Processes;

public sealed class KernelFilesTests
{
    private string _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("scriptexec-kernelfiles-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [Test]
    public void Reads_a_proc_file_whole()
    {
        var text = KernelFiles.TryReadText($"/proc/{Environment.ProcessId}/stat");

        Assert.That(text, Is.Not.Null);
        Assert.That(text, Does.StartWith(Environment.ProcessId + " ("));
        Assert.That(ProcStat.TryParse(text!, out _), Is.True);
    }

    [Test]
    public void Reads_a_file_longer_than_its_first_buffer_to_the_end()
    {
        // Three and a half first buffers, no two lines alike: a lost or repeated block shows.
        var content = string.Concat(Enumerable.Range(0, 1400).Select(i => $"{i:D9}\n"));
        var path = Path.Combine(_directory, "long");
        File.WriteAllText(path, content, new UTF8Encoding(false));

        Assert.That(KernelFiles.TryReadText(path), Is.EqualTo(content));
    }

    [Test]
    public void A_file_that_is_not_there_reads_as_null_and_writes_as_ENOENT()
    {
        var missing = Path.Combine(_directory, "gone", "cgroup.procs");

        Assert.Multiple(() =>
        {
            Assert.That(KernelFiles.TryReadText(missing), Is.Null);
            Assert.That(KernelFiles.TryWriteText(missing, "1"), Is.EqualTo(NativeMethods.ENOENT));
            Assert.That(File.Exists(missing), Is.False, "a write never creates the file");
        });
    }

    [Test]
    public void Writes_the_text_in_one_write()
    {
        var path = Path.Combine(_directory, "cgroup.kill");
        File.WriteAllText(path, string.Empty);

        Assert.That(KernelFiles.TryWriteText(path, "12345"), Is.Zero);
        Assert.That(File.ReadAllText(path), Is.EqualTo("12345"));
    }

    [Test]
    public void Removes_an_empty_directory_and_says_ENOENT_for_one_that_is_not_there()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_directory, "exec-7")).FullName;

        Assert.Multiple(() =>
        {
            Assert.That(KernelFiles.TryRemoveDirectory(empty), Is.Zero);
            Assert.That(Directory.Exists(empty), Is.False);
            Assert.That(KernelFiles.TryRemoveDirectory(empty), Is.EqualTo(NativeMethods.ENOENT));
        });
    }
}
