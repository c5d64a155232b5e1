using System.Globalization;

namespace ScriptExec.Daemon;

/// <summary>
/// Unmaps the pages of the daemon's own binary that it maps read-only and has no private copy of. Start-up runs
/// hosting, DI, configuration, Kestrel and SQLite code from all over the file, and the kernel maps 64 KiB around every
/// page a fault touches (fault-around), so an idle native daemon kept about 16 MiB of its binary mapped that it does
/// not run again. MADV_DONTNEED on such a mapping only removes this process's page-table entries: the pages stay in
/// the page cache, and whatever runs next maps its pages again with a minor fault. The trade: unmapped, they lose the
/// extra protection the kernel gives mapped executable pages under memory pressure, so a page reclaimed then is read
/// back from flash when it is next run; for start-up code that is never run again that is the point.
/// </summary>
/// <remarks>
/// Only mappings without a private copy of any page are touched, resident (<c>Anonymous</c>) or swapped out
/// (<c>Swap</c>): a read-only mapping written before it was made read-only (the RELRO segment, relocated by the loader)
/// holds private copies that MADV_DONTNEED would drop, replacing relocated data with the file's. The check is read from
/// <c>/proc/self/smaps</c> right before; nothing in a running native image writes to a read-only mapping afterwards (it
/// would need an mprotect the runtime does not do; a debugger's breakpoint placed in between would be lost).
/// </remarks>
internal static class ImagePages
{
    private const int MadviseDontNeed = 4;

    /// <summary>Unmaps the binary's clean read-only pages; returns how many bytes were resident in them.</summary>
    public static long Release()
    {
        var image = Environment.ProcessPath;
        if (!OperatingSystem.IsLinux() || string.IsNullOrEmpty(image))
        {
            return 0;
        }

        List<Mapping> mappings;
        try
        {
            mappings = CleanReadOnlyMappings(File.ReadLines("/proc/self/smaps"), image);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc (a sandbox), or no descriptor to spare this moment: the pages stay mapped until the next trim.
            return 0;
        }

        long released = 0;
        foreach (var mapping in mappings)
        {
            if (NativeMethods.Madvise((nint)mapping.Start, (nuint)(mapping.End - mapping.Start), MadviseDontNeed) == 0)
            {
                released += mapping.ResidentBytes;
            }
        }

        return released;
    }

    /// <summary>
    /// The mappings of <paramref name="image"/> in <paramref name="smaps"/> (the lines of /proc/PID/smaps) that are not
    /// writable, hold no private copy of a page (none resident, <c>Anonymous</c>, none swapped out, <c>Swap</c>) and
    /// have some pages resident. A mapping whose fields are not all there is left alone.
    /// </summary>
    internal static List<Mapping> CleanReadOnlyMappings(IEnumerable<string> smaps, string image)
    {
        var found = new List<Mapping>();
        Mapping? current = null;
        long resident = -1, anonymous = -1, swapped = -1;
        void Close()
        {
            if (current is { } mapping && resident > 0 && anonymous == 0 && swapped == 0)
            {
                found.Add(mapping with { ResidentBytes = resident });
            }

            current = null;
        }

        foreach (var line in smaps)
        {
            var matched = Mapping.TryParseHeader(line, image, out var header, out var isHeader);
            if (isHeader)
            {
                Close();
                current = matched ? header : null;
                resident = anonymous = swapped = -1;
            }
            else if (current is not null)
            {
                if (line.StartsWith("Rss:", StringComparison.Ordinal))
                {
                    resident = KibField(line) * 1024;
                }
                else if (line.StartsWith("Anonymous:", StringComparison.Ordinal))
                {
                    anonymous = KibField(line);
                }
                else if (line.StartsWith("Swap:", StringComparison.Ordinal))
                {
                    swapped = KibField(line);
                }
            }
        }

        Close();
        return found;
    }

    private static long KibField(string line)
    {
        var value = line.AsSpan(line.IndexOf(':') + 1).Trim();
        var space = value.IndexOf(' ');
        return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
    }

    internal readonly record struct Mapping(ulong Start, ulong End, long ResidentBytes)
    {
        /// <summary>
        /// Parses an smaps header line ("start-end perms offset dev inode path"); true when it is a mapping of
        /// <paramref name="image"/> without write permission. <paramref name="isHeader"/> tells header lines from fields.
        /// </summary>
        public static bool TryParseHeader(string line, string image, out Mapping mapping, out bool isHeader)
        {
            mapping = default;
            var dash = line.IndexOf('-');
            var firstSpace = line.IndexOf(' ');
            isHeader = false;
            if (dash <= 0 || firstSpace <= dash
                || !ulong.TryParse(line.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
                || !ulong.TryParse(line.AsSpan(dash + 1, firstSpace - dash - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end))
            {
                return false;
            }

            isHeader = true;

            // The permissions follow the range ("r-xp"): the second is '-' when the mapping is not writable. The path
            // ends the line after a space; a binary replaced on disk since it started shows as "path (deleted)".
            if (line.Length < firstSpace + 5 || line[firstSpace + 2] != '-'
                || !line.EndsWith(image, StringComparison.Ordinal) || line[line.Length - image.Length - 1] != ' ')
            {
                return false;
            }

            mapping = new Mapping(start, end, 0);
            return true;
        }
    }
}
