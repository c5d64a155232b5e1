namespace ScriptExec.Daemon.Tests;

/// <summary>
/// Which of its own mappings the idle trim unmaps (<see cref="ImagePages"/>): only the binary's, only read-only ones,
/// and never one holding private copies (the loader's relocated RELRO data would be replaced by the file's).
/// </summary>
public sealed class ImagePagesTests
{
    private const string Image = "/usr/sbin/scriptexecd";

    // smaps headers of the binary's own mappings: read-only data, code, and the loader-relocated RELRO segment.
    private const string Rodata = "556215c64000-556215c90000 r--p 00000000 fe:00 12902432                   " + Image;
    private const string Text = "556215c90000-55621674a000 r-xp 0002c000 fe:00 12902432                   " + Image;
    private const string Relro = "5562170ad000-5562170b1000 r--p 01449000 fe:00 12902432                   " + Image;

    private static string[] Smaps(params (string Header, long RssKib, long AnonymousKib)[] mappings) =>
        SmapsWithSwap([.. mappings.Select(m => (m.Header, m.RssKib, m.AnonymousKib, 0L))]);

    private static string[] SmapsWithSwap(params (string Header, long RssKib, long AnonymousKib, long SwapKib)[] mappings) =>
        mappings.SelectMany(m => new[]
        {
            m.Header,
            "Size:               1024 kB",
            "KernelPageSize:        4 kB",
            $"Rss:                {m.RssKib} kB",
            "Pss:                   0 kB",
            "Private_Dirty:         0 kB",
            "Referenced:            0 kB",
            $"Anonymous:          {m.AnonymousKib} kB",
            "AnonHugePages:         0 kB",
            $"Swap:               {m.SwapKib} kB",
            "SwapPss:               0 kB",
            "THPeligible:           0",
            "VmFlags: rd mr mw me sd",
        }).ToArray();

    private static IEnumerable<ulong> ChosenStarts(string[] smaps) => ImagePages.CleanReadOnlyMappings(smaps, Image).Select(m => m.Start);

    [Test]
    public void Clean_read_only_mappings_of_the_binary_are_chosen_with_their_resident_size()
    {
        var found = ImagePages.CleanReadOnlyMappings(
            Smaps(
                (Rodata, 176, 0),
                (Text, 9172, 0)),
            Image);

        Assert.That(found, Is.EqualTo(new[]
        {
            new ImagePages.Mapping(0x556215c64000, 0x556215c90000, 176 * 1024),
            new ImagePages.Mapping(0x556215c90000, 0x55621674a000, 9172 * 1024),
        }));
    }

    [Test]
    public void Relocated_writable_foreign_and_unmapped_ranges_are_left_alone()
    {
        var found = ImagePages.CleanReadOnlyMappings(
            Smaps(
                (Relro, 16, 16),
                ("5562170b1000-556217101000 rw-p 0144d000 fe:00 12902432                   " + Image, 320, 128),
                ("5562170b1000-556217101000 r-xp 00000000 fe:00 100                        /usr/lib/x86_64-linux-gnu/libc.so.6", 1364, 0),
                ("5562170b1000-556217101000 r-xp 00000000 fe:00 101                        /opt/x" + Image, 64, 0),
                ("556216cd8000-5562170ad000 r--p 01074000 fe:00 12902432                   " + Image, 0, 0),
                ("556216cd8000-5562170ad000 r--p 01074000 fe:00 12902432                   " + Image + " (deleted)", 64, 0),
                ("7ffd5a1f2000-7ffd5a213000 rw-p 00000000 00:00 0                          [stack]", 132, 132)),
            Image);

        Assert.That(found, Is.Empty);
    }

    [Test]
    public void A_mapping_is_judged_by_its_own_fields_not_the_one_before()
    {
        // A relocated mapping right after a clean one: the clean one's fields must not carry over.
        Assert.That(ChosenStarts(Smaps((Rodata, 176, 0), (Relro, 16, 16))), Is.EqualTo(new ulong[] { 0x556215c64000 }));
    }

    [Test]
    public void A_mapping_with_private_copies_swapped_out_is_left_alone()
    {
        // Relocated pages swapped out count under Swap, not Anonymous: dropping them would bring back the file's bytes.
        Assert.That(ChosenStarts(SmapsWithSwap((Relro, 4, 0, 12), (Rodata, 176, 0, 0))), Is.EqualTo(new ulong[] { 0x556215c64000 }));
    }

    [Test]
    public void A_mapping_whose_fields_are_missing_is_left_alone()
    {
        var found = ImagePages.CleanReadOnlyMappings(
            [
                Rodata,
                "Rss:                 176 kB",
                "Anonymous:             0 kB",
                Text,
                "Rss:                9172 kB",
            ],
            Image);

        Assert.That(found, Is.Empty);
    }
}
