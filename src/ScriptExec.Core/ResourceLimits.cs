using System.Collections.Frozen;
using System.Globalization;

namespace ScriptExec.Core;

/// <summary>
/// One of the per-instance limits of SPEC "Script runtime contract"; the wire key is <see cref="LimitKinds.WireName"/>.
/// The last three are cgroup controller limits (<see cref="LimitKinds.Controller"/>), the others rlimits and niceness.
/// </summary>
public enum LimitKind
{
    CpuSeconds,
    AddressSpaceMb,
    DataMb,
    FileSizeMb,
    OpenFiles,
    Processes,
    StackMb,
    Nice,
    MemoryMb,
    Pids,
    CpuPercent,
}

/// <summary>Wire names and accepted ranges of <see cref="LimitKind"/>.</summary>
public static class LimitKinds
{
    /// <summary>The largest size limit in MiB (4 TiB): above any device's memory or disk, small enough that bytes fit a long.</summary>
    public const int MaxMebibytes = 4 * 1024 * 1024;

    public static readonly IReadOnlyList<LimitKind> All = Enum.GetValues<LimitKind>();

    private static readonly FrozenDictionary<string, LimitKind> ByWireName =
        All.ToFrozenDictionary(WireName, StringComparer.Ordinal);

    public static string WireName(this LimitKind kind) => kind switch
    {
        LimitKind.CpuSeconds => "cpu_s",
        LimitKind.AddressSpaceMb => "address_space_mb",
        LimitKind.DataMb => "data_mb",
        LimitKind.FileSizeMb => "file_size_mb",
        LimitKind.OpenFiles => "open_files",
        LimitKind.Processes => "processes",
        LimitKind.StackMb => "stack_mb",
        LimitKind.Nice => "nice",
        LimitKind.MemoryMb => "memory_mb",
        LimitKind.Pids => "pids",
        LimitKind.CpuPercent => "cpu_percent",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static bool TryParse(string name, out LimitKind kind) => ByWireName.TryGetValue(name, out kind);

    /// <summary>The cgroup controller that enforces <paramref name="kind"/>, or null for an rlimit (or niceness).</summary>
    public static string? Controller(this LimitKind kind) => kind switch
    {
        LimitKind.MemoryMb => "memory",
        LimitKind.Pids => "pids",
        LimitKind.CpuPercent => "cpu",
        _ => null,
    };

    /// <summary>
    /// The values a limit accepts. Lower bounds keep a script startable (a shell needs a few descriptors and MiB);
    /// a file size of 0 is allowed and means "may not write files". Upper bounds are the kernel's own ceilings
    /// (nr_open, pid_max) or far beyond any device, so a typo is refused instead of silently meaning "huge".
    /// <c>memory_mb</c> starts at 4 MiB (a shell and the exec steps before the script fit; less only ends in the
    /// OOM killer); <c>cpu_percent</c> is a share of one CPU, so 100 = one whole CPU, and stops at 10000 (100 CPUs):
    /// a fixed bound keeps a stored configuration valid on another machine, and a value above 100 × the CPUs present
    /// simply never throttles.
    /// </summary>
    public static (int Min, int Max) Range(this LimitKind kind) => kind switch
    {
        LimitKind.CpuSeconds => (1, 366 * 24 * 3600),
        LimitKind.AddressSpaceMb => (16, MaxMebibytes),
        LimitKind.DataMb => (1, MaxMebibytes),
        LimitKind.FileSizeMb => (0, MaxMebibytes),
        LimitKind.OpenFiles => (3, 1024 * 1024),
        LimitKind.Processes => (1, 4 * 1024 * 1024),
        LimitKind.StackMb => (1, 64 * 1024),
        LimitKind.Nice => (0, 19),
        LimitKind.MemoryMb => (4, MaxMebibytes),
        LimitKind.Pids => (1, 4 * 1024 * 1024),
        LimitKind.CpuPercent => (1, 10000),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

/// <summary>
/// Limits to apply to one run, every limit decided: a value, or null for unlimited (the kernel default is kept).
/// </summary>
public sealed class ResourceLimits : IEquatable<ResourceLimits>
{
    /// <summary>The default workdir quota (SPEC: 10 MiB), enforced per file through <see cref="LimitKind.FileSizeMb"/>.</summary>
    public const int DefaultWorkdirQuotaMb = 10;

    /// <summary>No limit at all: what a run gets when neither the daemon nor the instance sets any.</summary>
    public static readonly ResourceLimits Unlimited = new(new Dictionary<LimitKind, int?>());

    private readonly FrozenDictionary<LimitKind, int?> _values;

    private ResourceLimits(IReadOnlyDictionary<LimitKind, int?> values)
    {
        _values = values.Where(pair => pair.Value is not null).ToFrozenDictionary();
    }

    /// <summary>Limits from explicit values; kinds left out are unlimited. Throws <see cref="InvalidParameterException"/> out of range.</summary>
    public static ResourceLimits Of(IReadOnlyDictionary<LimitKind, int?> values, string fieldPrefix = "limits")
    {
        foreach (var (kind, value) in values)
        {
            LimitOverrides.CheckRange(kind, value, fieldPrefix);
        }

        return new ResourceLimits(values);
    }

    public int? this[LimitKind kind] => _values.GetValueOrDefault(kind);

    public int? CpuSeconds => this[LimitKind.CpuSeconds];

    public int? AddressSpaceMb => this[LimitKind.AddressSpaceMb];

    public int? DataMb => this[LimitKind.DataMb];

    public int? FileSizeMb => this[LimitKind.FileSizeMb];

    public int? OpenFiles => this[LimitKind.OpenFiles];

    public int? Processes => this[LimitKind.Processes];

    public int? StackMb => this[LimitKind.StackMb];

    public int? Nice => this[LimitKind.Nice];

    public int? MemoryMb => this[LimitKind.MemoryMb];

    public int? Pids => this[LimitKind.Pids];

    public int? CpuPercent => this[LimitKind.CpuPercent];

    /// <summary>The set limits that need a cgroup controller (memory_mb, pids, cpu_percent).</summary>
    public IEnumerable<LimitKind> ControllerLimits => LimitKinds.All.Where(kind => kind.Controller() is not null && _values.ContainsKey(kind));

    /// <summary>True when no limit is set, so the script can be spawned without the limits wrapper.</summary>
    public bool IsUnlimited => _values.Count == 0;

    /// <summary>
    /// The limits one run gets. Per kind: a key the instance sets wins, its value included when it is null (explicitly
    /// unlimited, even when the daemon sets a default); a key the instance leaves out inherits the daemon default.
    /// </summary>
    /// <remarks>
    /// The workdir quota has no enforcement of its own beyond RLIMIT_FSIZE (SPEC: "enforced at least per file"), so it
    /// is the file size limit of last resort: when neither the instance nor the daemon default sets
    /// <c>file_size_mb</c>, it becomes <paramref name="workdirQuotaMb"/>. An instance that sets <c>file_size_mb</c>
    /// (null included) has decided for itself, and a daemon default for <c>file_size_mb</c> is the operator's decision
    /// for every instance; either wins over the quota. A null quota means "no quota".
    /// </remarks>
    public static ResourceLimits Resolve(LimitOverrides? instance, ResourceLimits daemonDefaults, int? workdirQuotaMb = DefaultWorkdirQuotaMb)
    {
        ArgumentNullException.ThrowIfNull(daemonDefaults);
        var values = new Dictionary<LimitKind, int?>();
        foreach (var kind in LimitKinds.All)
        {
            values[kind] = instance is not null && instance.TryGet(kind, out var value) ? value : daemonDefaults[kind];
        }

        var fileSizeDecided = (instance?.IsSet(LimitKind.FileSizeMb) ?? false) || daemonDefaults.FileSizeMb is not null;
        if (!fileSizeDecided)
        {
            values[LimitKind.FileSizeMb] = workdirQuotaMb;
        }

        return new ResourceLimits(values);
    }

    /// <summary>The set limits by wire name (unlimited ones left out), for <c>status</c> and logs.</summary>
    public IReadOnlyDictionary<string, int> ToWire() =>
        LimitKinds.All.Where(kind => _values.ContainsKey(kind)).ToDictionary(kind => kind.WireName(), kind => _values[kind]!.Value);

    public bool Equals(ResourceLimits? other) =>
        other is not null && LimitKinds.All.All(kind => this[kind] == other[kind]);

    public override bool Equals(object? obj) => Equals(obj as ResourceLimits);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var kind in LimitKinds.All)
        {
            hash.Add(this[kind]);
        }

        return hash.ToHashCode();
    }

    public override string ToString() =>
        IsUnlimited ? "unlimited" : string.Join(", ", ToWire().Select(pair => string.Create(CultureInfo.InvariantCulture, $"{pair.Key}={pair.Value}")));
}

/// <summary>
/// An instance's <c>limits</c> object as given: only the keys present, each a value or null (explicitly unlimited).
/// Keys left out inherit the daemon default; see <see cref="ResourceLimits.Resolve"/>.
/// </summary>
public sealed class LimitOverrides : IEquatable<LimitOverrides>
{
    public static readonly LimitOverrides None = new(new Dictionary<LimitKind, int?>());

    private readonly FrozenDictionary<LimitKind, int?> _present;

    private LimitOverrides(IReadOnlyDictionary<LimitKind, int?> present)
    {
        _present = present.ToFrozenDictionary();
    }

    /// <summary>Overrides from explicit kinds; throws <see cref="InvalidParameterException"/> for a value out of range.</summary>
    public static LimitOverrides Of(IReadOnlyDictionary<LimitKind, int?> present, string fieldPrefix = "limits")
    {
        foreach (var (kind, value) in present)
        {
            CheckRange(kind, value, fieldPrefix);
        }

        return new LimitOverrides(present);
    }

    /// <summary>
    /// The wire object (key → number or null, as parsed from JSON); throws <see cref="InvalidParameterException"/>
    /// naming the field for an unknown key or a value out of range.
    /// </summary>
    public static LimitOverrides FromWire(IReadOnlyDictionary<string, long?> wire, string fieldPrefix = "limits")
    {
        ArgumentNullException.ThrowIfNull(wire);
        var present = new Dictionary<LimitKind, int?>();
        foreach (var (name, value) in wire)
        {
            if (!LimitKinds.TryParse(name, out var kind))
            {
                throw new InvalidParameterException($"{fieldPrefix}.{name}", "is not a known limit (" + string.Join(", ", LimitKinds.All.Select(LimitKinds.WireName)) + ")");
            }

            var (min, max) = kind.Range();
            if (value is { } number && (number < min || number > max))
            {
                throw new InvalidParameterException($"{fieldPrefix}.{name}", $"must be between {min} and {max}, or null for unlimited");
            }

            present[kind] = (int?)value;
        }

        return new LimitOverrides(present);
    }

    public int Count => _present.Count;

    public bool IsSet(LimitKind kind) => _present.ContainsKey(kind);

    /// <summary>False when the key is absent; true with the value (null = unlimited) when it is present.</summary>
    public bool TryGet(LimitKind kind, out int? value) => _present.TryGetValue(kind, out value);

    /// <summary>The wire object: present keys only, null kept, in a stable order.</summary>
    public IReadOnlyDictionary<string, int?> ToWire() =>
        LimitKinds.All.Where(_present.ContainsKey).ToDictionary(kind => kind.WireName(), kind => _present[kind]);

    // By value, so an instance read back from the store equals the one that was stored.
    public bool Equals(LimitOverrides? other) =>
        other is not null && other._present.Count == _present.Count
        && _present.All(pair => other._present.TryGetValue(pair.Key, out var value) && value == pair.Value);

    public override bool Equals(object? obj) => Equals(obj as LimitOverrides);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var kind in LimitKinds.All.Where(_present.ContainsKey))
        {
            hash.Add(kind);
            hash.Add(_present[kind]);
        }

        return hash.ToHashCode();
    }

    internal static void CheckRange(LimitKind kind, int? value, string fieldPrefix)
    {
        var (min, max) = kind.Range();
        if (value is { } number && (number < min || number > max))
        {
            throw new InvalidParameterException($"{fieldPrefix}.{kind.WireName()}", $"must be between {min} and {max}, or null for unlimited");
        }
    }
}
