using System.Globalization;
using System.Text.RegularExpressions;
using Keel.Core.Errors;

namespace Keel.Core.Search.Internal;

/// <summary>An identifier as written: optional prefix, key with quotes removed, and the raw text.</summary>
internal readonly record struct Identifier(string? Prefix, string Key, string Raw);

internal enum ValueTokenKind
{
    /// <summary>A single- or double-quoted string; <see cref="ValueToken.Text"/> is the verbatim inside.</summary>
    String,
    Number,

    /// <summary>A parenthesised list of single-quoted strings.</summary>
    List,

    /// <summary>Anything else (a bare word, a back-quoted name): only ever reported in an error.</summary>
    Bare,
}

internal sealed record ValueToken(ValueTokenKind Kind, string Raw, string? Text = null, double Number = 0, IReadOnlyList<string>? Items = null);

/// <summary>
/// A cursor over one filter or order_by string. The grammar is context-sensitive (a double-quoted run is a key
/// before the comparator and a string value after it), so the parser asks for the token it expects next rather
/// than lexing everything up front.
/// </summary>
/// <remarks>
/// Quoted runs follow the sqlparse lexer MLflow uses, so the same text ends a string in both: <c>''</c> and
/// <c>\'</c> do not end a single-quoted string, <c>""</c> and <c>\"</c> do not end a double-quoted one,
/// <c>``</c> does not end a back-quoted one. The inside is kept verbatim, as MLflow does (it only trims the
/// outer quotes).
/// </remarks>
internal sealed partial class FilterScanner
{
    private readonly string _text;
    private readonly string _context;
    private int _position;

    /// <param name="context">How errors name the input: "filter" or "order_by clause".</param>
    public FilterScanner(string text, string context)
    {
        _text = text;
        _context = context;
    }

    public bool AtEnd => _position >= _text.Length;

    /// <summary>The unread rest of the input, for messages.</summary>
    public string Rest => _text[_position..];

    public char? PeekChar() => AtEnd ? null : _text[_position];

    public static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';

    public void SkipWhitespace()
    {
        while (!AtEnd && char.IsWhiteSpace(_text[_position]))
        {
            _position++;
        }
    }

    public bool TryConsume(char c)
    {
        if (PeekChar() != c)
        {
            return false;
        }

        _position++;
        return true;
    }

    /// <summary>Reads a run of letters, digits and underscores; null (nothing consumed) if there is none.</summary>
    public string? ReadWord()
    {
        var start = _position;
        while (!AtEnd && IsWordChar(_text[_position]))
        {
            _position++;
        }

        return _position == start ? null : _text[start.._position];
    }

    public string? PeekWord()
    {
        var start = _position;
        var word = ReadWord();
        _position = start;
        return word;
    }

    /// <summary>True when the next word is <paramref name="keyword"/> (any case) and not the prefix of a key.</summary>
    public bool AtKeyword(string keyword)
    {
        var start = _position;
        var word = ReadWord();
        var isKeyword = string.Equals(word, keyword, StringComparison.OrdinalIgnoreCase) && PeekChar() != '.';
        _position = start;
        return isKeyword;
    }

    /// <summary>
    /// Reads <c>segment [ "." key ]</c>, where a segment is a bare word or a double- or back-quoted run. Only
    /// the first dot splits prefix from key, so a bare key may itself contain dots (<c>tags.mlflow.runName</c>).
    /// Returns null, consuming nothing, when no identifier starts here.
    /// </summary>
    public Identifier? TryReadIdentifier()
    {
        var start = _position;
        var first = TryReadSegment();
        if (first is null)
        {
            return null;
        }

        if (PeekChar() != '.')
        {
            return new Identifier(null, first, _text[start.._position]);
        }

        _position++;
        string key;
        if (PeekChar() is '"' or '`')
        {
            key = TryReadSegment()!;
        }
        else if (PeekChar() is char c && IsWordChar(c))
        {
            key = ReadDottedWord();
        }
        else
        {
            throw Error(
                $"expected a key after '{_text[start.._position]}' (quote keys that contain characters other than "
                + "letters, digits and '_' with backticks or double quotes)");
        }

        return new Identifier(first, key, _text[start.._position]);
    }

    /// <summary>
    /// Reads a comparator. Returns its text as written (upper-cased keywords) and the comparator, or a null
    /// comparator with the offending text (e.g. <c>==</c>, <c>NOT LIKE</c>) so the caller can say what is valid.
    /// </summary>
    public (Comparator? Op, string Text) ReadComparator()
    {
        if (AtEnd)
        {
            return (null, "");
        }

        var start = _position;
        if (IsOperatorChar(_text[_position]))
        {
            // sqlparse lexes any run of these characters as one comparison token, so "==" and "<>" reach
            // MLflow's comparator check and are refused there; do the same rather than split them.
            while (!AtEnd && IsOperatorChar(_text[_position]))
            {
                _position++;
            }

            var symbol = _text[start.._position];
            Comparator? op = symbol switch
            {
                "=" => Comparator.Equal,
                "!=" => Comparator.NotEqual,
                ">" => Comparator.Greater,
                ">=" => Comparator.GreaterOrEqual,
                "<" => Comparator.Less,
                "<=" => Comparator.LessOrEqual,
                _ => null,
            };
            return (op, symbol);
        }

        var word = ReadWord()?.ToUpperInvariant();
        switch (word)
        {
            case null:
                return (null, "");
            case "LIKE":
                return (Comparator.Like, word);
            case "ILIKE":
                return (Comparator.ILike, word);
            case "IN":
                return (Comparator.In, word);
            case "NOT":
                var negated = ReadFollowingWord();
                return negated == "IN" ? (Comparator.NotIn, "NOT IN") : (null, $"NOT {negated}".TrimEnd());
            case "IS":
                var next = ReadFollowingWord();
                if (next == "NULL")
                {
                    return (Comparator.IsNull, "IS NULL");
                }

                if (next == "NOT")
                {
                    var last = ReadFollowingWord();
                    return last == "NULL" ? (Comparator.IsNotNull, "IS NOT NULL") : (null, $"IS NOT {last}".TrimEnd());
                }

                return (null, $"IS {next}".TrimEnd());
            default:
                return (null, word);
        }
    }

    /// <summary>Reads a value token; null at the end of the input.</summary>
    public ValueToken? ReadValue()
    {
        if (AtEnd)
        {
            return null;
        }

        var start = _position;
        switch (_text[_position])
        {
            case '\'' or '"':
                var text = ReadQuoted();
                return new ValueToken(ValueTokenKind.String, _text[start.._position], Text: text);
            case '`':
                ReadQuoted();
                return new ValueToken(ValueTokenKind.Bare, _text[start.._position]);
            case '(':
                return ReadList();
        }

        var number = NumberPattern().Match(_text, _position);
        if (number.Success)
        {
            var end = _position + number.Length;
            if (end >= _text.Length || !(IsWordChar(_text[end]) || _text[end] == '.'))
            {
                _position = end;
                return new ValueToken(
                    ValueTokenKind.Number,
                    number.Value,
                    Number: double.Parse(number.Value, NumberStyles.Float, CultureInfo.InvariantCulture));
            }
        }

        while (!AtEnd && !char.IsWhiteSpace(_text[_position]))
        {
            _position++;
        }

        return new ValueToken(ValueTokenKind.Bare, _text[start.._position]);
    }

    /// <summary>A parse error about the whole input, in MLflow's "Error on parsing filter '…'" wording.</summary>
    public KeelException Error(string detail) => KeelException.Invalid($"Error on parsing {_context} '{_text}': {detail}");

    private static bool IsOperatorChar(char c) => c is '<' or '>' or '=' or '!' or '~';

    private string ReadFollowingWord()
    {
        SkipWhitespace();
        return ReadWord()?.ToUpperInvariant() ?? "";
    }

    private string? TryReadSegment() => PeekChar() switch
    {
        '"' or '`' => ReadQuoted(),
        char c when IsWordChar(c) => ReadWord(),
        _ => null,
    };

    private string ReadDottedWord()
    {
        var start = _position;
        ReadWord();
        while (PeekChar() == '.' && _position + 1 < _text.Length && IsWordChar(_text[_position + 1]))
        {
            _position++;
            ReadWord();
        }

        return _text[start.._position];
    }

    /// <summary>Reads a quoted run starting at the current quote character and returns its inside verbatim.</summary>
    private string ReadQuoted()
    {
        var quote = _text[_position];
        var pattern = quote switch
        {
            '\'' => SingleQuotedPattern(),
            '"' => DoubleQuotedPattern(),
            _ => BackQuotedPattern(),
        };
        var match = pattern.Match(_text, _position);
        if (!match.Success)
        {
            throw Error($"unterminated {quote} quote starting at position {_position}");
        }

        _position += match.Length;
        return match.Value[1..^1];
    }

    private ValueToken ReadList()
    {
        var start = _position;
        _position++;
        SkipWhitespace();
        if (PeekChar() == ')')
        {
            _position++;
            throw KeelException.Invalid(
                "While parsing a list in the query, expected a non-empty list of string values, but got empty list");
        }

        var items = new List<string>();
        while (true)
        {
            if (PeekChar() != '\'')
            {
                throw IllFormedList(start);
            }

            items.Add(ReadQuoted());
            SkipWhitespace();
            if (TryConsume(')'))
            {
                return new ValueToken(ValueTokenKind.List, _text[start.._position], Items: items);
            }

            if (!TryConsume(','))
            {
                throw IllFormedList(start);
            }

            SkipWhitespace();
        }
    }

    private KeelException IllFormedList(int start)
    {
        // MLflow requires single-quoted strings in lists (sqlparse lexes "x" as a name, not a string).
        var close = _text.IndexOf(')', start);
        var list = close < 0 ? _text[start..] : _text[start..(close + 1)];
        return KeelException.Invalid(
            "While parsing a list in the query, expected a non-empty list of single-quoted string values "
            + $"separated by commas, but got ill-formed list: {list}");
    }

    [GeneratedRegex(@"\G'(?:''|\\'|[^'])*'")]
    private static partial Regex SingleQuotedPattern();

    [GeneratedRegex(@"\G""(?:""""|\\""|[^""])*""")]
    private static partial Regex DoubleQuotedPattern();

    [GeneratedRegex(@"\G`(?:``|[^`])*`")]
    private static partial Regex BackQuotedPattern();

    // sqlparse's integer and float literals (optionally negative, optional exponent); '+' and hex are not numbers.
    [GeneratedRegex(@"\G-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE]-?[0-9]+)?")]
    private static partial Regex NumberPattern();
}
