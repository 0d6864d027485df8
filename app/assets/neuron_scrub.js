/* Browser-side scrubbing of a neuron's receptive field (journey 4).
 *
 * The server sends every snapshot's field once (base64 float32 in the neuron-frames store);
 * redrawing a frame is then pure JavaScript, so dragging the slider never waits for the server.
 * Colour limits are either fixed over the whole scrub (largest |value| over all snapshots, so
 * growth is visible) or per snapshot.
 *
 * A slider step is drawn as soon as the slider shows its new value (its handle's aria-valuenow),
 * not when Dash gets round to the clientside callback: that dispatch alone sometimes takes a
 * whole animation frame. The callback then finds the step drawn and only updates the texts.
 */
(function () {
    const SIDE = 28;
    const SIZE = SIDE * SIDE;
    const LINK_DELAY_MS = 500;
    let decoded = {key: null};
    let latestLinked = null;
    let inputs = null;  // frames, curve, kind and scaling as the callback last saw them
    let onScreen = null;  // which frame the field plot shows

    function largestAbs(values, start, end) {
        let largest = 0;
        for (let i = start; i < end; i++) {
            const magnitude = Math.abs(values[i]);
            if (magnitude > largest) largest = magnitude;
        }
        return largest;
    }

    function decode(frames) {
        if (decoded.key === frames.key) return decoded;
        const text = atob(frames.fields);
        const bytes = new Uint8Array(text.length);
        for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
        const weights = new Float32Array(bytes.buffer);
        const count = frames.count;
        const change = new Float32Array(count * SIZE);
        const step = new Float32Array(count * SIZE);
        for (let t = 0; t < count; t++) {
            for (let i = 0; i < SIZE; i++) {
                const value = weights[t * SIZE + i];
                // A run without an initialisation snapshot (an import) takes RF_0 as zero, as the core does.
                change[t * SIZE + i] = frames.change_from_zero ? value : value - weights[i];
                step[t * SIZE + i] = t ? value - weights[(t - 1) * SIZE + i] : 0;
            }
        }
        const kinds = {weights: weights, change: change, step: step};
        const frameLimits = {};
        const scrubLimits = {};
        for (const kind of Object.keys(kinds)) {
            frameLimits[kind] = new Float32Array(count);
            for (let t = 0; t < count; t++) {
                frameLimits[kind][t] = largestAbs(kinds[kind], t * SIZE, (t + 1) * SIZE);
            }
            scrubLimits[kind] = largestAbs(frameLimits[kind], 0, count);
        }
        decoded = {key: frames.key, kinds: kinds, frameLimits: frameLimits, scrubLimits: scrubLimits};
        return decoded;
    }

    function rowsOf(values, t) {
        const rows = new Array(SIDE);
        for (let r = 0; r < SIDE; r++) {
            const start = t * SIZE + r * SIDE;
            rows[r] = Array.from(values.subarray(start, start + SIDE));
        }
        return rows;
    }

    // The largest |value| the colours span; 0 when the field has not changed (a change or step
    // at init), which the caption then says instead of naming a meaningless limit.
    function limitOf(frames, data, t, kind, scaling) {
        return scaling === "frame" ? data.frameLimits[kind][t] : data.scrubLimits[kind];
    }

    function drawnLimit(limit) {
        return Math.max(limit, 1e-9);
    }

    // The whole field figure, for a new neuron, kind or scaling; a scrub step only restyles
    // z and the limits (drawStep).
    function fieldFigure(frames, data, t, kind, limit) {
        const base = frames.base;
        const trace = Object.assign({}, base.data[0], {z: rowsOf(data.kinds[kind], t), zmin: -limit, zmax: limit});
        const title = Object.assign({}, base.layout.title, {
            text: frames.titles[kind],
            subtitle: Object.assign({}, base.layout.title.subtitle, {text: frames.subtitles[kind]}),
        });
        const layout = Object.assign({}, base.layout, {title: title});
        // The heatmap sets every colour and font it uses; merging the template costs ~20% of a redraw.
        delete layout.template;
        return {data: [trace], layout: layout};
    }

    // Snapshots are numbered from 0 (init), as in the link: "Snapshot 3 of 0–3".
    function caption(frames, t, kind, scaling, limit) {
        const scope = scaling === "frame" ? "this snapshot's largest |value|" :
            "largest |value| over all " + frames.count + " snapshots";
        const where = "Snapshot " + t + " of 0–" + (frames.count - 1) + ": " + frames.labels[t];
        if (!(limit > 0)) {
            const why = kind === "step" && t === 0 ? "init has no previous snapshot, so no step change" :
                "no change yet: the field equals " + (kind === "step" ? "the previous snapshot" : "its initialisation");
            return where + " · " + why;
        }
        return where + " · colour limits ±" + limit.toPrecision(3) + " (" + scope + ")";
    }

    function limitText(sign, limit) {
        return limit > 0 ? sign + limit.toPrecision(3) : "0";
    }

    function curveFigure(curve, t) {
        const line = curve.data[0];
        const marker = Object.assign({}, curve.data[1], {x: [t], y: [line.y[t]]});
        const shape = Object.assign({}, curve.layout.shapes[0], {x0: t, x1: t});
        const layout = Object.assign({}, curve.layout, {shapes: [shape]});
        return {data: [line, marker], layout: layout};
    }

    function triggeredProps() {
        return (window.dash_clientside.callback_context.triggered || []).map(item => item.prop_id);
    }

    function currentSnapshot(triggered, dragValue, value) {
        if (triggered.includes("neuron-slider.drag_value") && dragValue !== null && dragValue !== undefined) {
            return dragValue;
        }
        return value;
    }

    function plotted(containerId) {
        const gd = document.querySelector("#" + containerId + " .js-plotly-plot");
        return gd && gd.data && window.Plotly ? gd : null;
    }

    const noUpdate = () => window.dash_clientside.no_update;

    function frameId(frames, t, kind, scaling) {
        return frames.key + "|" + t + "|" + kind + "|" + scaling;
    }

    // Draws straight into the plots: going through the figure props would add a React render and
    // a deferred Plotly call to every step. Only z and the limits change between snapshots, so
    // restyle skips diffing the layout.
    function drawStep(fieldGraph, t) {
        const {frames, curve, kind, scaling} = inputs;
        const data = decode(frames);
        const limit = drawnLimit(limitOf(frames, data, t, kind, scaling));
        const drawn = window.Plotly.restyle(fieldGraph, {z: [rowsOf(data.kinds[kind], t)], zmin: [-limit], zmax: [limit]});
        onScreen = frameId(frames, t, kind, scaling);
        const curveGraph = plotted("neuron-curve");
        if (curve && curveGraph && curve.data[0].y.length > t) {
            const moved = curveFigure(curve, t);
            // The curve's marker waits for the field, so it never delays the field's frame.
            drawn.then(() => window.requestAnimationFrame(
                () => window.Plotly.react(curveGraph, moved.data, moved.layout)));
        }
    }

    function followSlider(records) {
        if (!inputs) return;
        for (const record of records) {
            if (!record.target.closest("#neuron-slider")) continue;
            const t = Number(record.target.getAttribute("aria-valuenow"));
            const fieldGraph = plotted("neuron-field");
            const showsThisNeuron = onScreen && onScreen.startsWith(inputs.frames.key + "|");
            if (fieldGraph && showsThisNeuron && t >= 0 && t < inputs.frames.count) drawStep(fieldGraph, t);
        }
    }

    new MutationObserver(followSlider).observe(
        document.documentElement, {subtree: true, attributes: true, attributeFilter: ["aria-valuenow"]});

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        neuronLens: {
            redraw: function (dragValue, value, kind, scaling, frames, curve) {
                if (!frames) return [noUpdate(), noUpdate(), noUpdate(), noUpdate(), noUpdate()];
                inputs = {frames: frames, curve: curve, kind: kind, scaling: scaling};
                const data = decode(frames);
                const triggered = triggeredProps();
                const t = Math.min(Math.max(currentSnapshot(triggered, dragValue, value) || 0, 0), frames.count - 1);
                const limit = limitOf(frames, data, t, kind, scaling);
                const text = caption(frames, t, kind, scaling, limit);
                const high = limitText("+", limit), low = limitText("−", limit);
                const fieldGraph = plotted("neuron-field");
                const sliderOnly = triggered.every(prop => prop.startsWith("neuron-slider."));
                if (!sliderOnly || !fieldGraph) {
                    const curveOut = curve && curve.data[0].y.length > t ? curveFigure(curve, t) : noUpdate();
                    onScreen = frameId(frames, t, kind, scaling);
                    return [fieldFigure(frames, data, t, kind, drawnLimit(limit)), curveOut, text, high, low];
                }
                if (onScreen !== frameId(frames, t, kind, scaling)) drawStep(fieldGraph, t);
                return [noUpdate(), noUpdate(), text, high, low];
            },
            togglePlay: function (clicks, disabled) {
                const playing = disabled;  // it was paused, so this click starts it
                return [!playing, playing ? "❚❚ Pause" : "▶ Play"];
            },
            advance: function (ticks, value, max) {
                const slider = document.getElementById("neuron-slider");
                if (!slider || slider.offsetParent === null || !max) return noUpdate();
                return value >= max ? 0 : value + 1;
            },
            snapshotLink: function (value, paused, state, search) {
                latestLinked = value;
                if (!paused || value === null || value === undefined) return noUpdate();
                const params = new URLSearchParams(search || "");
                if (params.get("view") !== "neuron" && params.has("view")) return noUpdate();
                // The page already shows this snapshot (named in the link, or the run's default).
                if (state && value === state.snapshot) return noUpdate();
                params.set("view", "neuron");
                params.set("snapshot", String(value));
                // Write the URL (and so refresh the server-side panels) only once the slider rests,
                // so a run of key presses or a drag never queues server work behind the redraws.
                return new Promise(resolve => setTimeout(
                    () => resolve(latestLinked === value ? "?" + params.toString() : noUpdate()), LINK_DELAY_MS));
            },
        },
    });
})();
