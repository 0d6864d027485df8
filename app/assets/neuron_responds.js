/* Browser-side scrubbing of a neuron's "responds to" picture with the field's slider (issue 11).
 *
 * The server sends every snapshot's picture R once, and the plain mean probe digit (base64
 * float32 in neuron-responds-frames). "minus the mean digit" shows R on the diverging scale;
 * "as ink" shows R + mean digit, the activation-weighted mean digit, in grey. A slider step is
 * drawn as soon as the slider shows it (its handle's aria-valuenow), as the field is in
 * neuron_scrub.js; the clientside callback then finds it drawn. Colour limits follow the field's
 * choice: fixed over the whole scrub, or per snapshot.
 */
(function () {
    const SIDE = 28;
    const SIZE = SIDE * SIDE;
    const INK_SCALE = [[0, "#ffffff"], [1, "#000000"]];
    let unpacked = {key: null};
    let current = null;  // {frames, scaling, kind} as the callback last saw them
    let drawn = null;  // what the picture on screen shows: key|t|scaling|kind

    function floats(text) {
        return new Float32Array(Uint8Array.from(atob(text), character => character.charCodeAt(0)).buffer);
    }

    function largestAbs(values) {
        let largest = 0;
        for (const value of values) {
            if (Math.abs(value) > largest) largest = Math.abs(value);  // NaN compares false
        }
        return largest;
    }

    function unpack(frames) {
        if (unpacked.key === frames.key) return unpacked;
        const difference = floats(frames.fields);
        const mean = floats(frames.mean);
        const ink = difference.map((value, i) => value + mean[i % SIZE]);
        const kinds = {difference: difference, ink: ink};
        const perFrame = {}, overall = {};
        for (const kind of Object.keys(kinds)) {
            perFrame[kind] = Array.from({length: frames.count},
                (_, t) => largestAbs(kinds[kind].subarray(t * SIZE, (t + 1) * SIZE)));
            overall[kind] = Math.max(...perFrame[kind], 0);
        }
        unpacked = {key: frames.key, kinds: kinds, perFrame: perFrame, overall: overall};
        return unpacked;
    }

    function picture(values, t) {
        return Array.from({length: SIDE}, (_, row) =>
            Array.from(values.subarray(t * SIZE + row * SIDE, t * SIZE + (row + 1) * SIDE)));
    }

    // z, zmin and zmax of snapshot t: a symmetric range for the difference, 0 up for ink.
    function styleOf(t) {
        const {frames, scaling, kind} = current;
        const data = unpack(frames);
        const bound = Math.max(scaling === "frame" ? data.perFrame[kind][t] : data.overall[kind], 1e-9);
        return {z: picture(data.kinds[kind], t), zmin: kind === "ink" ? 0 : -bound, zmax: bound};
    }

    function signature(t) {
        return [current.frames.key, t, current.scaling, current.kind].join("|");
    }

    function graph() {
        const gd = document.querySelector("#neuron-responds .js-plotly-plot");
        return gd && gd.data && window.Plotly ? gd : null;
    }

    function restyle(gd, t) {
        const style = styleOf(t);
        window.Plotly.restyle(gd, {z: [style.z], zmin: [style.zmin], zmax: [style.zmax]});
        drawn = signature(t);
    }

    function showsCurrentKind() {
        return drawn && drawn.startsWith(current.frames.key + "|") && drawn.endsWith("|" + current.scaling + "|" + current.kind);
    }

    function followSlider(records) {
        if (!current) return;
        for (const record of records) {
            if (!record.target.closest("#neuron-slider")) continue;
            const t = Number(record.target.getAttribute("aria-valuenow"));
            const gd = graph();
            if (gd && showsCurrentKind() && t >= 0 && t < current.frames.count) restyle(gd, t);
        }
    }

    new MutationObserver(followSlider).observe(
        document.documentElement, {subtree: true, attributes: true, attributeFilter: ["aria-valuenow"]});

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        neuronLensResponds: {
            redraw: function (dragValue, value, scaling, kind, frames) {
                if (!frames) return window.dash_clientside.no_update;
                current = {frames: frames, scaling: scaling, kind: kind};
                const triggered = (window.dash_clientside.callback_context.triggered || []).map(item => item.prop_id);
                const dragging = triggered.includes("neuron-slider.drag_value") && dragValue !== null && dragValue !== undefined;
                const t = Math.min(Math.max((dragging ? dragValue : value) || 0, 0), frames.count - 1);
                const gd = graph();
                const sliderOnly = triggered.length > 0 && triggered.every(prop => prop.startsWith("neuron-slider."));
                if (gd && sliderOnly && showsCurrentKind()) {
                    if (drawn !== signature(t)) restyle(gd, t);
                    return window.dash_clientside.no_update;
                }
                const base = frames.base;
                const trace = Object.assign({}, base.data[0], styleOf(t),
                    kind === "ink" ? {colorscale: INK_SCALE} : {});
                const title = Object.assign({}, base.layout.title, {
                    text: frames.title,
                    subtitle: Object.assign({}, base.layout.title.subtitle, {text: frames.subtitles[kind]}),
                });
                const layout = Object.assign({}, base.layout, {title: title});
                delete layout.template;
                drawn = signature(t);
                return {data: [trace], layout: layout};
            },
        },
    });
})();
