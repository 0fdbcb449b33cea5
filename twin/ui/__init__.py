"""The planners' app (`streamlit run app.py`): the only package that imports streamlit.

Pages (``pages/``, routed by ``app.py`` with ``st.navigation``):

- **City**: bundled Helsinki, an uploaded OSM file or a place; map of streets,
  facilities by service and home density.
- **Residents**: a resident model from ``models/``, its key marginals, the
  number of residents and the seed.
- **Scenarios**: the files of a ``scenarios/`` folder as editable drafts;
  widgets for every registered intervention, read from its pydantic fields.
- **Compare**: baseline and chosen scenarios over replications; who benefits
  by income, mobility, connectivity, app access and water supply, equity,
  cost, and benefit by area, with small groups and map cells suppressed.
- **Export**: the results folder of ``twin compare`` (report.py) as files and a zip.
- **Workshop**: residents place water points, access centres or the
  paratransit depot on the map and see who gains, beside the planners' option;
  proposals saved as scenario YAML.

Modules: ``state`` (per-user session), ``data`` (everything cached),
``results`` (running a comparison), ``scenarios`` and ``fields`` (drafts and
the widgets' specs, no streamlit), ``forms`` (the widgets), ``workshop``
(proposals as scenarios, no streamlit), ``charts``, ``maps`` (plotly on the
city's basemap), ``readings``, ``layout``.
No simulation happens here: it calls twin.city, twin.residents, twin.scenario
and twin.experiments.
"""
