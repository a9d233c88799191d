using System;

namespace Sluice;

/// <summary>
/// Registers a value converter (a type implementing <see cref="ISluiceConverter{TModel, TProvider}"/>) for its model
/// type. The nearest registration wins: the member (row property or constructor parameter, method parameter, or the
/// method's return value for a scalar), then the query method (all its parameters and columns), then the row type, then
/// the class that declares the query, then the model type itself, then the assembly. Two registrations for one model type at the same level are a build error (SL0102).
/// </summary>
/// <param name="converterType">The converter: a class or struct implementing <see cref="ISluiceConverter{TModel, TProvider}"/> once, accessible to the generated code.</param>
[AttributeUsage(
    AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Method | AttributeTargets.Property
        | AttributeTargets.Parameter | AttributeTargets.Field | AttributeTargets.ReturnValue,
    AllowMultiple = true,
    Inherited = false)]
public sealed class SluiceConverterAttribute(Type converterType) : Attribute
{
    /// <summary>The converter type.</summary>
    public Type ConverterType { get; } = converterType;
}

/// <summary>
/// Stores a value as JSON: <c>jsonb</c> (or <c>json</c>, see <see cref="PostgresType"/>) on PostgreSQL and JSON text on
/// SQLite, serialized and read through the System.Text.Json source-generated <c>JsonTypeInfo</c> of
/// <paramref name="contextType"/> (NativeAOT-safe: no reflection-based serialization). Put it on a member (row
/// property or constructor parameter, method parameter, a scalar method's return value) or on the model type itself.
/// </summary>
/// <param name="contextType">A <c>JsonSerializerContext</c> with <c>[JsonSerializable(typeof(TModel))]</c>.</param>
/// <example><code>
/// [JsonSerializable(typeof(Preferences))] internal sealed partial class AppJson : JsonSerializerContext;
/// public sealed record User(UserId Id, string Name, [JsonColumn(typeof(AppJson))] Preferences Preferences);
/// </code></example>
[AttributeUsage(
    AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field
        | AttributeTargets.ReturnValue,
    Inherited = false)]
public sealed class JsonColumnAttribute(Type contextType) : Attribute
{
    /// <summary>The <c>JsonSerializerContext</c> whose <c>Default</c> instance holds the type's metadata.</summary>
    public Type ContextType { get; } = contextType;

    /// <summary>
    /// The name of the context's <c>JsonTypeInfo</c> property; by default the <c>TypeInfoPropertyName</c> of the
    /// type's <c>[JsonSerializable]</c>, else the type's name (what System.Text.Json generates).
    /// </summary>
    public string? TypeInfoPropertyName { get; set; }

    /// <summary>The PostgreSQL type parameters are sent as: <c>"jsonb"</c> (default) or <c>"json"</c>.</summary>
    public string PostgresType { get; set; } = "jsonb";
}

/// <summary>How <see cref="EnumAsTextAttribute"/> spells an enum member's name in the column.</summary>
public enum EnumTextCasing
{
    /// <summary>The name as declared (<c>InProgress</c>).</summary>
    AsDeclared,

    /// <summary>Lower case (<c>inprogress</c>).</summary>
    LowerCase,

    /// <summary>Upper case (<c>INPROGRESS</c>).</summary>
    UpperCase,

    /// <summary>Lower snake case (<c>in_progress</c>).</summary>
    SnakeCase,

    /// <summary>Lower kebab case (<c>in-progress</c>).</summary>
    KebabCase,
}

/// <summary>
/// Stores an enum by the name of its member (text) instead of its underlying integer. Put it on the enum (every use)
/// or on one member or parameter. Writing an undefined value, or reading a name that is not one of the enum's (after an
/// exact match, names compare ignoring case), is an error that names the query and the column or parameter; it is never
/// read as a default.
/// </summary>
[AttributeUsage(AttributeTargets.Enum | AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field | AttributeTargets.ReturnValue, Inherited = false)]
public sealed class EnumAsTextAttribute : Attribute
{
    /// <summary>How names are written; read accepts any casing of a name. Default <see cref="EnumTextCasing.AsDeclared"/>.</summary>
    public EnumTextCasing Casing { get; set; } = EnumTextCasing.AsDeclared;
}

/// <summary>
/// Maps an enum to a PostgreSQL enum type (<c>CREATE TYPE mood AS ENUM (…)</c>) through Npgsql's enum mapping: the
/// generated code sends and reads the CLR enum itself, so the data source must map it
/// (<c>dataSourceBuilder.MapEnum&lt;Mood&gt;("mood")</c>, with Npgsql's name translator, by default snake_case labels).
/// PostgreSQL only; SQLite queries report SL0105.
/// </summary>
/// <param name="typeName">The PostgreSQL enum type's name (optionally schema-qualified), as given to <c>MapEnum</c>.</param>
[AttributeUsage(AttributeTargets.Enum, Inherited = false)]
public sealed class PostgresEnumAttribute(string typeName) : Attribute
{
    /// <summary>The PostgreSQL enum type's name.</summary>
    public string TypeName { get; } = typeName;
}
