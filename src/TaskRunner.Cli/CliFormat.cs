using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace TaskRunner.Cli;

/// <summary>How values are shown. Every value from the store goes into a <see cref="Text"/> (never parsed as markup), so a
/// hostile job name, tag or error cannot style or rewrite the terminal's output.</summary>
internal static class CliFormat
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Time(DateTimeOffset? value) =>
        value is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    public static string Duration(TimeSpan value) =>
        value.TotalDays >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)value.TotalDays}d {value.Hours}h {value.Minutes}m")
        : value.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)value.TotalHours}h {value.Minutes}m")
        : value.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)value.TotalMinutes}m {value.Seconds}s")
        : string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.#}s");

    /// <summary>A cell: the value as plain text, control characters shown as escapes so none reaches the terminal.</summary>
    public static IRenderable Cell(string? value) => new Text(Printable(value ?? "-"));

    public static IRenderable Cell(long value) => new Text(value.ToString(CultureInfo.InvariantCulture));

    public static Table NewTable(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column)));
        }

        return table;
    }

    /// <summary>Stored JSON (a payload or result) indented for reading; bytes that are not JSON are shown as they are.</summary>
    public static string IndentedJson(ReadOnlyMemory<byte>? bytes)
    {
        if (bytes is not { Length: > 0 } b)
        {
            return "-";
        }

        try
        {
            using var document = JsonDocument.Parse(b);
            return JsonSerializer.Serialize(document.RootElement, Json);
        }
        catch (JsonException)
        {
            return Encoding.UTF8.GetString(b.Span);
        }
    }

    /// <summary>Replaces control characters other than line breaks and tabs (an ANSI escape's ESC among them) by
    /// <c>\uXXXX</c>, so a value can show text but never drive the terminal.</summary>
    public static string Printable(string value)
    {
        if (!value.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (char.IsControl(c) && c is not ('\n' or '\r' or '\t'))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
