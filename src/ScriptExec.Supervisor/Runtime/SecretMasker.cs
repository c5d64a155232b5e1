using System.Text;
using ScriptExec.Core;

namespace ScriptExec.Supervisor.Runtime;

/// <summary>
/// Replaces the values of an instance's secret environment entries in captured output lines with
/// <see cref="InstanceDefinition.SecretMask"/>, before a line is stored or pushed (SPEC "secrets stay secret in output too").
/// </summary>
/// <remarks>
/// <para>Matching is ordinal on the decoded line (the capture hands lines on as strings). Every occurrence of every
/// value is found, overlapping ones included, and each stretch of text covered by any of them becomes one mask: for
/// values that overlap or contain each other, nothing of either shows, and a longer value is never half-masked by a
/// shorter one inside it.</para>
/// <para>Values shorter than <see cref="MinMaskedLength"/> characters are not masked. A one- to three-character value
/// occurs by chance all over ordinary output: masking it would garble every line and, worse, the masks would show
/// where the value occurs and so give it away. What a user expects from a secret ("the password never shows") only a
/// value of some length can deliver; the integrator should say so when such a value is set.</para>
/// <para>A value spanning several lines (a PEM key) is masked line by line, since output is captured per line.
/// A value the script prints transformed (escaped, encoded, split by the line-length cap) is not recognised.</para>
/// </remarks>
public sealed class SecretMasker
{
    /// <summary>The shortest value that is masked; see the remarks.</summary>
    public const int MinMaskedLength = 4;

    /// <summary>Masks nothing: for instances without secrets.</summary>
    public static readonly SecretMasker None = new([], InstanceDefinition.SecretMask);

    private readonly string[] _values;
    private readonly string _mask;

    private SecretMasker(string[] values, string mask)
    {
        _values = values;
        _mask = mask;
    }

    /// <summary>True when no value will ever be masked, so callers may skip the call.</summary>
    public bool IsEmpty => _values.Length == 0;

    /// <summary>A masker for these secret values (duplicates, and values shorter than <see cref="MinMaskedLength"/>, ignored).</summary>
    public static SecretMasker For(IEnumerable<string> secretValues, string mask = InstanceDefinition.SecretMask)
    {
        ArgumentNullException.ThrowIfNull(secretValues);
        ArgumentException.ThrowIfNullOrEmpty(mask);
        var values = secretValues
            .SelectMany(value => value.Split('\n'))
            .Select(part => part.TrimEnd('\r'))
            .Where(part => part.Length >= MinMaskedLength)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(part => part.Length)
            .ToArray();
        return values.Length == 0 ? None : new SecretMasker(values, mask);
    }

    /// <summary>True when <paramref name="value"/> would be left unmasked for being too short (for a warning when it is set).</summary>
    public static bool IsTooShortToMask(string value) =>
        value.Split('\n').Select(part => part.TrimEnd('\r')).All(part => part.Length < MinMaskedLength);

    /// <summary>The line with every secret value masked; the same instance when it contains none.</summary>
    public string Mask(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        bool[]? covered = null;
        foreach (var value in _values)
        {
            var from = 0;
            while (from <= line.Length - value.Length)
            {
                var found = line.IndexOf(value, from, StringComparison.Ordinal);
                if (found < 0)
                {
                    break;
                }

                covered ??= new bool[line.Length];
                covered.AsSpan(found, value.Length).Fill(true);

                // One character on, not past the match: "aaaa" also occurs at every later start inside "aaaaaa".
                from = found + 1;
            }
        }

        return covered is null ? line : Replace(line, covered);
    }

    private string Replace(string line, bool[] covered)
    {
        var masked = new StringBuilder(line.Length);
        for (var i = 0; i < line.Length; i++)
        {
            if (!covered[i])
            {
                masked.Append(line[i]);
            }
            else if (i == 0 || !covered[i - 1])
            {
                masked.Append(_mask);
            }
        }

        return masked.ToString();
    }
}
