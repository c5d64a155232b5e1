namespace ScriptExec.Core.Tests;

public class ResourceLimitsTests
{
    private static readonly ResourceLimits Defaults = ResourceLimits.Of(new Dictionary<LimitKind, int?>
    {
        [LimitKind.CpuSeconds] = 60,
        [LimitKind.OpenFiles] = 256,
        [LimitKind.Nice] = 5,
    });

    [Test]
    public void An_absent_key_inherits_the_daemon_default()
    {
        var limits = ResourceLimits.Resolve(LimitOverrides.FromWire(new Dictionary<string, long?> { ["open_files"] = 37 }), Defaults);

        Assert.Multiple(() =>
        {
            Assert.That(limits.OpenFiles, Is.EqualTo(37));
            Assert.That(limits.CpuSeconds, Is.EqualTo(60));
            Assert.That(limits.Nice, Is.EqualTo(5));
            Assert.That(limits.StackMb, Is.Null);
        });
    }

    [Test]
    public void An_explicit_null_is_unlimited_even_over_a_default()
    {
        var limits = ResourceLimits.Resolve(LimitOverrides.FromWire(new Dictionary<string, long?> { ["cpu_s"] = null }), Defaults);

        Assert.That(limits.CpuSeconds, Is.Null);
    }

    [Test]
    public void The_workdir_quota_is_the_file_size_limit_when_nobody_sets_one()
    {
        var limits = ResourceLimits.Resolve(LimitOverrides.None, Defaults);

        Assert.That(limits.FileSizeMb, Is.EqualTo(ResourceLimits.DefaultWorkdirQuotaMb));
    }

    [Test]
    public void A_file_size_the_instance_sets_wins_over_the_quota_null_included()
    {
        var set = ResourceLimits.Resolve(LimitOverrides.FromWire(new Dictionary<string, long?> { ["file_size_mb"] = 1 }), Defaults);
        var unlimited = ResourceLimits.Resolve(LimitOverrides.FromWire(new Dictionary<string, long?> { ["file_size_mb"] = null }), Defaults);

        Assert.Multiple(() =>
        {
            Assert.That(set.FileSizeMb, Is.EqualTo(1));
            Assert.That(unlimited.FileSizeMb, Is.Null);
        });
    }

    [Test]
    public void A_daemon_default_file_size_wins_over_the_quota()
    {
        var defaults = ResourceLimits.Of(new Dictionary<LimitKind, int?> { [LimitKind.FileSizeMb] = 50 });

        Assert.That(ResourceLimits.Resolve(null, defaults).FileSizeMb, Is.EqualTo(50));
    }

    [Test]
    public void No_quota_and_no_limits_is_unlimited()
    {
        var limits = ResourceLimits.Resolve(null, ResourceLimits.Unlimited, workdirQuotaMb: null);

        Assert.Multiple(() =>
        {
            Assert.That(limits.IsUnlimited, Is.True);
            Assert.That(limits, Is.EqualTo(ResourceLimits.Unlimited));
        });
    }

    [TestCase("cpu_s", 0L)]
    [TestCase("nice", 20L)]
    [TestCase("nice", -1L)]
    [TestCase("open_files", 2L)]
    [TestCase("address_space_mb", 5_000_000_000L)]
    [TestCase("file_size_mb", -1L)]
    [TestCase("memory_mb", 3L)]
    [TestCase("memory_mb", 5_000_000L)]
    [TestCase("pids", 0L)]
    [TestCase("cpu_percent", 0L)]
    [TestCase("cpu_percent", 10_001L)]
    public void A_value_out_of_range_is_refused_naming_the_field(string key, long value)
    {
        var refusal = Assert.Throws<InvalidParameterException>(() => LimitOverrides.FromWire(new Dictionary<string, long?> { [key] = value }));

        Assert.That(refusal!.Field, Is.EqualTo("limits." + key));
    }

    [Test]
    public void An_unknown_key_is_refused()
    {
        var refusal = Assert.Throws<InvalidParameterException>(() => LimitOverrides.FromWire(new Dictionary<string, long?> { ["memory_bytes"] = 5 }));

        Assert.That(refusal!.Field, Is.EqualTo("limits.memory_bytes"));
    }

    [Test]
    public void A_file_size_of_zero_is_a_limit_not_unlimited()
    {
        var limits = ResourceLimits.Resolve(LimitOverrides.FromWire(new Dictionary<string, long?> { ["file_size_mb"] = 0 }), ResourceLimits.Unlimited);

        Assert.That(limits.FileSizeMb, Is.EqualTo(0));
    }

    [Test]
    public void Overrides_round_trip_through_the_wire_form_keeping_nulls()
    {
        var wire = new Dictionary<string, long?> { ["nice"] = 3, ["stack_mb"] = null };

        var back = LimitOverrides.FromWire(LimitOverrides.FromWire(wire).ToWire().ToDictionary(pair => pair.Key, pair => (long?)pair.Value));

        Assert.Multiple(() =>
        {
            Assert.That(back.Count, Is.EqualTo(2));
            Assert.That(back.TryGet(LimitKind.Nice, out var nice) && nice == 3, Is.True);
            Assert.That(back.TryGet(LimitKind.StackMb, out var stack) && stack is null, Is.True);
            Assert.That(back.IsSet(LimitKind.CpuSeconds), Is.False);
        });
    }

    [Test]
    public void Every_kind_has_a_distinct_wire_name_that_parses_back()
    {
        foreach (var kind in LimitKinds.All)
        {
            Assert.That(LimitKinds.TryParse(kind.WireName(), out var parsed) && parsed == kind, Is.True, kind.ToString());
        }
    }

    [TestCase("memory_mb", 4L)]
    [TestCase("pids", 1L)]
    [TestCase("cpu_percent", 1L)]
    [TestCase("cpu_percent", 10_000L)]
    public void The_controller_limits_accept_their_bounds(string key, long value)
    {
        var overrides = LimitOverrides.FromWire(new Dictionary<string, long?> { [key] = value });

        Assert.That(overrides.Count, Is.EqualTo(1));
    }

    [Test]
    public void Only_memory_pids_and_cpu_percent_need_a_cgroup_controller_and_they_are_listed_as_such()
    {
        var limits = ResourceLimits.Resolve(
            LimitOverrides.FromWire(new Dictionary<string, long?> { ["memory_mb"] = 64, ["pids"] = 10, ["cpu_percent"] = 50, ["open_files"] = 20 }),
            ResourceLimits.Unlimited,
            workdirQuotaMb: null);

        Assert.Multiple(() =>
        {
            Assert.That(LimitKinds.All.Where(k => k.Controller() is not null).Select(k => (k.WireName(), k.Controller())), Is.EqualTo(new[]
            {
                ("memory_mb", "memory"), ("pids", "pids"), ("cpu_percent", "cpu"),
            }));
            Assert.That(limits.ControllerLimits, Is.EqualTo(new[] { LimitKind.MemoryMb, LimitKind.Pids, LimitKind.CpuPercent }));
            Assert.That((limits.MemoryMb, limits.Pids, limits.CpuPercent), Is.EqualTo((64, 10, 50)));
        });
    }
}
