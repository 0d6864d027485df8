/* The ranking grid's browser side (Dash AG Grid): the field thumbnail cell, the number formats, and
   the filter row's boxes, which read and write comparisons as text ("> 0.5", "≥ 1%", "= 4",
   "0.2 to 0.4"), so a filter shows its operator as well as its value. */
(function () {
    const components = window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {};
    const functions = window.dashAgGridFunctions = window.dashAgGridFunctions || {};

    components.FieldThumbnail = function (props) {
        return React.createElement("img", {src: props.value, alt: "field of neuron " + props.data.neuron});
    };

    functions.rankingNumber = function (value, decimals, percent) {
        if (value === null || value === undefined) return "";
        if (percent) return (100 * value).toFixed(decimals) + "%";
        return decimals === null ? String(value) : value.toFixed(decimals);
    };

    functions.rankingPercent = function (value) {
        return value === null || value === undefined ? null : 100 * value;
    };

    // Longest operators first, so ">=" is not read as ">" followed by "=".
    const OPERATORS = [[">=", "greaterThanOrEqual"], ["≥", "greaterThanOrEqual"], ["<=", "lessThanOrEqual"],
                       ["≤", "lessThanOrEqual"], ["!=", "notEqual"], ["≠", "notEqual"], [">", "greaterThan"],
                       ["<", "lessThan"], ["==", "equals"], ["=", "equals"]];
    const SYMBOLS = {greaterThanOrEqual: "≥", lessThanOrEqual: "≤", notEqual: "≠", greaterThan: ">",
                     lessThan: "<", equals: "="};

    const NUMBER = "[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:e[-+]?\\d+)?";
    const RANGE = new RegExp("^(" + NUMBER + ")\\s+to\\s+(" + NUMBER + ")$", "i");
    const SINGLE = new RegExp("^" + NUMBER + "$", "i");

    /* The number filter model a typed text stands for: null for an empty box (no filter),
       undefined while it is not a comparison yet (e.g. ">" alone). A bare number means "=". */
    function parseComparison(text, unit) {
        let rest = unit ? text.split(unit).join("").trim() : text.trim();
        if (rest === "") return null;
        const range = rest.match(RANGE);
        if (range) return {filterType: "number", type: "inRange", filter: Number(range[1]), filterTo: Number(range[2])};
        let type = "equals";
        const operator = OPERATORS.find(([symbol]) => rest.startsWith(symbol));
        if (operator) {
            type = operator[1];
            rest = rest.slice(operator[0].length).trim();
        }
        return SINGLE.test(rest) ? {filterType: "number", type: type, filter: Number(rest)} : undefined;
    }

    function shownComparison(model, unit) {
        if (!model) return "";
        if (model.type === "inRange") return model.filter + unit + " to " + model.filterTo + unit;
        return SYMBOLS[model.type] + " " + model.filter + unit;
    }

    function sameComparison(a, b) {
        return (!a && !b) || (!!a && !!b && a.type === b.type && a.filter === b.filter && a.filterTo === b.filterTo);
    }

    components.ComparisonFilter = function (props) {
        const unit = props.unit || "";
        const [text, setText] = React.useState(shownComparison(props.model, unit));
        // The model also changes from elsewhere: the default filter, set by the server.
        React.useEffect(() => {
            if (!sameComparison(parseComparison(text, unit), props.model)) setText(shownComparison(props.model, unit));
        }, [props.model]);
        // Text that is no comparison (yet) leaves the filter as it was, and says so.
        const invalid = parseComparison(text, unit) === undefined;
        return React.createElement("input", {
            type: "text", value: text, placeholder: "filter",
            className: invalid ? "nl-grid-filter nl-grid-filter-invalid" : "nl-grid-filter",
            title: (invalid ? "Not a comparison: type" : "Type") + " e.g. > 0.5, ≤ 3, = 4 or 0.2 to 0.4",
            "aria-label": "filter " + props.column.getColDef().headerName, "aria-invalid": invalid,
            onChange: event => {
                setText(event.target.value);
                const model = parseComparison(event.target.value, unit);
                if (model !== undefined) props.onModelChange(model);
            },
        });
    };
})();
