"""LaminDB 1.0 names: the params of runs and models (Param, ParamValue) with their links to
artifacts, runs and schemas; FeatureSet.registry documents LaminDB 1.0's name itype."""

import django.db.models.deletion
import lamindb_core.context
import lamindb_core.instance
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_search_words'),
    ]

    operations = [
        migrations.AlterField(
            model_name='featureset',
            name='registry',
            field=models.CharField(db_index=True, help_text="The registry of the members: 'Feature', or a module's registry such as 'bio.Gene'; LaminDB 1.0 calls it itype.", max_length=120),
        ),
        migrations.CreateModel(
            name='ArtifactParamValue',
            fields=[
                ('id', models.BigAutoField(help_text='Integer id of the link.', primary_key=True, serialize=False)),
                ('artifact', models.ForeignKey(help_text='The artifact.', on_delete=django.db.models.deletion.CASCADE, related_name='links_paramvalue', to='core.artifact')),
            ],
        ),
        migrations.CreateModel(
            name='Param',
            fields=[
                ('aux', models.JSONField(blank=True, default=None, help_text='Auxiliary field for dictionary-like metadata.', null=True)),
                ('_branch_code', models.SmallIntegerField(db_index=True, default=1, help_text='Where the record is: 1 main, 0 archive, -1 trash; filter() shows only 1 unless the query names _branch_code.')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, help_text='When the record was created.')),
                ('updated_at', models.DateTimeField(auto_now=True, db_index=True, help_text='When the record was last saved.')),
                ('id', models.AutoField(help_text="Internal id, valid only in this instance's database; uid is valid across instances.", primary_key=True, serialize=False)),
                ('name', models.CharField(db_index=True, help_text="Unique name of the param, e.g. 'learning_rate'.", max_length=100, unique=True)),
                ('dtype', models.CharField(db_index=True, help_text='Type of its values: str, int, float, num, bool, date, datetime or dict.', max_length=64)),
                ('is_type', models.BooleanField(blank=True, db_index=True, default=None, help_text='Whether the param is a type that groups params rather than a param with values.', null=True)),
                ('_expect_many', models.BooleanField(default=False, help_text='Whether a run has many values of it (an aggregation); False by default.')),
                ('created_by', models.ForeignKey(default=lamindb_core.instance.current_user_id, help_text='The user who created the record: the current user by default.', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.user')),
                ('run', models.ForeignKey(blank=True, default=lamindb_core.context.current_run_id, help_text='The run that created the record: the run of ln.track() when it was saved, else None.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.run')),
                ('space', models.ForeignKey(default=1, help_text="The space in which the record lives; the space 'all' (id 1) by default.", on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.space')),
                ('type', models.ForeignKey(blank=True, default=None, help_text="A param that groups this one, e.g. 'ModelTraining'; param.records lists those it groups.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='records', to='core.param')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='ParamValue',
            fields=[
                ('aux', models.JSONField(blank=True, default=None, help_text='Auxiliary field for dictionary-like metadata.', null=True)),
                ('_branch_code', models.SmallIntegerField(db_index=True, default=1, help_text='Where the record is: 1 main, 0 archive, -1 trash; filter() shows only 1 unless the query names _branch_code.')),
                ('id', models.BigAutoField(help_text="Internal id, valid only in this instance's database; uid is valid across instances.", primary_key=True, serialize=False)),
                ('value', models.JSONField(help_text="The value, as JSON, e.g. 0.01 or {'name': 'mcquant'}.")),
                ('hash', models.CharField(blank=True, db_index=True, default=None, help_text='Hash of the value: each value of a param is stored once.', max_length=22, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, help_text='When the value was stored.')),
                ('artifacts', models.ManyToManyField(blank=True, help_text='The model artifacts that have the value.', related_name='_param_values', through='core.ArtifactParamValue', to='core.artifact')),
                ('created_by', models.ForeignKey(default=lamindb_core.instance.current_user_id, help_text='Who stored it.', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.user')),
                ('param', models.ForeignKey(help_text='The param whose value this is.', on_delete=django.db.models.deletion.CASCADE, related_name='values', to='core.param')),
                ('space', models.ForeignKey(default=1, help_text="The space in which the record lives; the space 'all' (id 1) by default.", on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.space')),
            ],
        ),
        migrations.AddField(
            model_name='artifactparamvalue',
            name='paramvalue',
            field=models.ForeignKey(help_text='A param value of the artifact.', on_delete=django.db.models.deletion.PROTECT, related_name='links_artifact', to='core.paramvalue'),
        ),
        migrations.CreateModel(
            name='RunParamValue',
            fields=[
                ('id', models.BigAutoField(help_text='Integer id of the link.', primary_key=True, serialize=False)),
                ('paramvalue', models.ForeignKey(help_text='A param value of the run.', on_delete=django.db.models.deletion.PROTECT, related_name='links_run', to='core.paramvalue')),
                ('run', models.ForeignKey(help_text='The run.', on_delete=django.db.models.deletion.CASCADE, related_name='links_paramvalue', to='core.run')),
            ],
            options={
                'unique_together': {('run', 'paramvalue')},
            },
        ),
        migrations.AddField(
            model_name='paramvalue',
            name='runs',
            field=models.ManyToManyField(blank=True, help_text='The runs that have the value.', related_name='_param_values', through='core.RunParamValue', to='core.run'),
        ),
        migrations.CreateModel(
            name='SchemaParam',
            fields=[
                ('id', models.BigAutoField(help_text='Integer id of the link.', primary_key=True, serialize=False)),
                ('param', models.ForeignKey(help_text='A param in the schema.', on_delete=django.db.models.deletion.PROTECT, related_name='links_schema', to='core.param')),
                ('schema', models.ForeignKey(help_text='The schema.', on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.featureset')),
            ],
        ),
        migrations.AddField(
            model_name='param',
            name='schemas',
            field=models.ManyToManyField(blank=True, help_text='The schemas that hold the param.', related_name='params', through='core.SchemaParam', to='core.featureset'),
        ),
        migrations.AlterUniqueTogether(
            name='artifactparamvalue',
            unique_together={('artifact', 'paramvalue')},
        ),
        migrations.AddConstraint(
            model_name='paramvalue',
            constraint=models.UniqueConstraint(fields=('param', 'hash'), name='core_paramvalue_param_hash_unique'),
        ),
        migrations.AlterUniqueTogether(
            name='schemaparam',
            unique_together={('schema', 'param')},
        ),
    ]
