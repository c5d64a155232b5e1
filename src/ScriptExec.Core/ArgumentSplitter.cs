using System.Text;

namespace ScriptExec.Core;

/// <summary>
/// Splits an arguments string into words the way a POSIX shell does, without running a shell:
/// single quotes keep everything literally, double quotes keep everything but let a backslash escape
/// <c>" \ $ `</c> and newline, a backslash outside quotes escapes the next character. No expansion of any kind.
/// </summary>
public static class ArgumentSplitter
{
    /// <summary>Splits <paramref name="arguments"/>; throws <see cref="FormatException"/> on an unterminated quote or a trailing backslash.</summary>
    public static IReadOnlyList<string> Split(string? arguments)
    {
        var words = new List<string>();
        if (string.IsNullOrEmpty(arguments))
        {
            return words;
        }

        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < arguments.Length; i++)
        {
            var c = arguments[i];
            switch (c)
            {
                case ' ' or '\t' or '\n':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    break;
                case '\'':
                    inWord = true;
                    var close = arguments.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new FormatException($"unterminated single quote at position {i}");
                    }

                    word.Append(arguments, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    inWord = true;
                    i = ReadDoubleQuoted(arguments, i, word);
                    break;
                case '\\':
                    inWord = true;
                    if (i + 1 >= arguments.Length)
                    {
                        throw new FormatException("trailing backslash");
                    }

                    // A backslash-newline is a line continuation, as in the shell.
                    if (arguments[i + 1] != '\n')
                    {
                        word.Append(arguments[i + 1]);
                    }

                    i++;
                    break;
                default:
                    inWord = true;
                    word.Append(c);
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    private static int ReadDoubleQuoted(string s, int open, StringBuilder word)
    {
        for (var i = open + 1; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '"')
            {
                return i;
            }

            if (c == '\\' && i + 1 < s.Length && s[i + 1] is '"' or '\\' or '$' or '`' or '\n')
            {
                if (s[i + 1] != '\n')
                {
                    word.Append(s[i + 1]);
                }

                i++;
                continue;
            }

            word.Append(c);
        }

        throw new FormatException($"unterminated double quote at position {open}");
    }
}
